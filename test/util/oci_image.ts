/**
 * Small OCI/Docker images built in memory for registry and exporter tests: real gzip tar layers (tar-stream), a
 * config with matching diff_ids, and the manifest, hashed here with WebCrypto so the fixture shares no code with
 * the registry client under test.
 *
 * @module
 */
import { gzip, tarBytes, type TestEntry } from "./layer_tar.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

export interface TestImage {
  /** digest → bytes of every blob (layers and config). */
  blobs: Map<string, Uint8Array>;
  manifest: Json;
  manifestBytes: Uint8Array;
  /** Descriptor of the manifest (with platform), as an index lists it. */
  desc: { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string } };
  config: Json;
  configBytes: Uint8Array;
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return "sha256:" + Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Deterministic pseudo-random bytes (incompressible, so layers have the size asked for). */
export function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * An image of one layer per entry list; `format: "docker"` gives Docker schema 2 media types. `bigLayerBytes`
 * adds an uncompressed-noise layer of that size (for chunked-upload and resume tests).
 */
export async function makeTestImage(opts: {
  arch?: string;
  layers?: TestEntry[][];
  bigLayerBytes?: number;
  format?: "oci" | "docker";
  seed?: number;
} = {}): Promise<TestImage> {
  const docker = opts.format === "docker";
  const arch = opts.arch ?? "amd64";
  const blobs = new Map<string, Uint8Array>();
  const layerEntries = opts.layers ?? [[{ name: "hello.txt", data: `hello from ${arch}\n` }]];
  const layers: Json[] = [];
  const diffIDs: string[] = [];
  for (const entries of layerEntries) {
    const tar = await tarBytes(entries);
    const gz = await gzip(tar);
    const digest = await sha256(gz);
    blobs.set(digest, gz);
    diffIDs.push(await sha256(tar));
    layers.push({
      mediaType: docker
        ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
        : "application/vnd.oci.image.layer.v1.tar+gzip",
      digest,
      size: gz.length,
    });
  }
  if (opts.bigLayerBytes) {
    const raw = noise(opts.bigLayerBytes, opts.seed ?? 7);
    const digest = await sha256(raw);
    blobs.set(digest, raw);
    diffIDs.push(digest);
    layers.push({
      mediaType: docker ? "application/vnd.docker.image.rootfs.diff.tar" : "application/vnd.oci.image.layer.v1.tar",
      digest,
      size: raw.length,
    });
  }
  const config = {
    architecture: arch,
    os: "linux",
    created: "2024-01-01T00:00:00Z",
    config: { Env: ["PATH=/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: diffIDs },
    history: layers.map(() => ({ created: "2024-01-01T00:00:00Z", created_by: "test" })),
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDigest = await sha256(configBytes);
  blobs.set(configDigest, configBytes);
  const mediaType = docker
    ? "application/vnd.docker.distribution.manifest.v2+json"
    : "application/vnd.oci.image.manifest.v1+json";
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: configBytes.length,
    },
    layers,
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  return {
    blobs,
    manifest,
    manifestBytes,
    desc: {
      mediaType,
      digest: await sha256(manifestBytes),
      size: manifestBytes.length,
      platform: { os: "linux", architecture: arch },
    },
    config,
    configBytes,
  };
}

/** An index (or Docker manifest list) over images, with its bytes and digest. */
export async function makeTestIndex(images: TestImage[], format: "oci" | "docker" = "oci") {
  const mediaType = format === "docker"
    ? "application/vnd.docker.distribution.manifest.list.v2+json"
    : "application/vnd.oci.image.index.v1+json";
  const index = { schemaVersion: 2, mediaType, manifests: images.map((i) => i.desc) };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  return { index, bytes, mediaType, digest: await sha256(bytes) };
}
