import { parseReference, type Reference, RegistryClient } from "../registry/mod.ts";
import { readOciLayout } from "../exporter/mod.ts";
import { hostPlatform, type ImageConfig, type ImageIndex, type ImageManifest, isIndex, parsePlatform, platformMatches } from "../oci/mod.ts";
import { TsbuildError } from "../errors.ts";

/** An image to read, from a registry or an OCI layout (`oci-layout:///path[:tag]`, a dir or a .tar). */
export interface OpenedImage {
  name: string;
  manifestDigest: string;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  config: ImageConfig;
  readBlob(digest: string): Promise<ReadableStream<Uint8Array>>;
  close(): Promise<void>;
}

async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function sha256(b: Uint8Array): Promise<string> {
  const h = await crypto.subtle.digest("SHA-256", b as BufferSource);
  return "sha256:" + [...new Uint8Array(h)].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** Whether a name points at a local OCI layout rather than a registry. */
export function isLayoutName(name: string): boolean {
  return name.startsWith("oci-layout://") || name.startsWith("oci:") || name.startsWith("/") || name.startsWith("./") || name.endsWith(".tar");
}

/** Splits `oci-layout:///path[:tag]` (BuildKit's form) into path and tag. */
export function layoutPath(name: string): { path: string; tag?: string } {
  let p = name.replace(/^oci-layout:\/\//, "").replace(/^oci:/, "");
  let tag: string | undefined;
  const m = /^(.*[^/]):([\w][\w.-]{0,127})$/.exec(p);
  if (m && !m[1].endsWith(".tar") === !p.endsWith(".tar")) {
    p = m[1];
    tag = m[2];
  }
  return { path: p, tag };
}

/** Opens an image for reading from wherever `name` says. */
export async function openImage(name: string, opts: { platform?: string; insecure?: string[] } = {}): Promise<OpenedImage> {
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  if (isLayoutName(name)) {
    const { path, tag } = layoutPath(name);
    const layout = await readOciLayout(path);
    let candidates = layout.index.manifests;
    if (tag) candidates = candidates.filter((d) => d.annotations?.["org.opencontainers.image.ref.name"] === tag);
    if (candidates.length === 0) throw new TsbuildError(`${name}: no image${tag ? ` tagged ${tag}` : ""} in the layout`);
    let desc = candidates[0];
    if (isIndex(desc.mediaType)) {
      const idx = JSON.parse(new TextDecoder().decode(await bytesOf(layout.readBlob(desc.digest)))) as ImageIndex;
      desc = idx.manifests.find((m) => platformMatches(platform, m.platform)) ?? idx.manifests[0];
    }
    const manifestBytes = await bytesOf(layout.readBlob(desc.digest));
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ImageManifest;
    const config = JSON.parse(new TextDecoder().decode(await bytesOf(layout.readBlob(manifest.config.digest)))) as ImageConfig;
    return {
      name,
      manifestDigest: await sha256(manifestBytes),
      manifest,
      manifestBytes,
      config,
      readBlob: (d) => Promise.resolve(layout.readBlob(d)),
      close: () => layout.close(),
    };
  }
  const client = new RegistryClient({ insecureRegistries: opts.insecure });
  const ref: Reference = parseReference(name);
  const r = await client.resolveImage(ref, platform);
  return {
    name: ref.toString(),
    manifestDigest: r.manifestDigest,
    manifest: r.manifest,
    manifestBytes: r.manifestBytes,
    config: r.config,
    readBlob: (d) => {
      const l = [...r.manifest.layers, r.manifest.config].find((x) => x.digest === d);
      if (!l) throw new TsbuildError(`${d} is not part of ${name}`);
      return client.fetchBlob(r.ref, l);
    },
    close: () => Promise.resolve(),
  };
}
