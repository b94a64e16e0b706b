/**
 * A multi-platform build's result: one image per platform under an image index (OCI) or manifest list (Docker),
 * stored, pushed (each platform's image by digest, then the index under every tag, as BuildKit pushes) and written
 * out as a local tree or tar per platform (`linux_amd64/`, `linux_arm64/`, BuildKit's layout).
 * @module
 */
import { type Descriptor, type ImageIndex as OciImageIndex, MediaType, type Platform } from "../oci/mod.ts";
import { parseReference, type Reference, type RegistryClient } from "../registry/mod.ts";
import type { Compression, ContentStore, ImageRecord, LayerStore } from "../snapshotter/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { ExportLayer } from "./image_config.ts";
import type { ManifestFormat, StoredImage } from "./manifest.ts";
import { type BlobOrigins, pushImage } from "./push.ts";

/** One platform's image in a multi-platform result. */
export interface PlatformImage {
  platform: Platform;
  image: StoredImage;
  /** The annotations of the image's entry in the index (`--annotation manifest-descriptor:…`). */
  annotations?: Record<string, string>;
}

/** An index in the content store with the images it lists. */
export interface StoredIndex {
  index: OciImageIndex;
  bytes: Uint8Array;
  desc: Descriptor;
  images: PlatformImage[];
}

/** Writes the index (or manifest list) naming each platform's manifest into the store. */
export async function storeIndex(
  content: ContentStore,
  images: PlatformImage[],
  format: ManifestFormat,
  annotations?: Record<string, string>,
): Promise<StoredIndex> {
  const mediaType = format === "oci" ? MediaType.OciIndex : MediaType.DockerManifestList;
  const index: OciImageIndex = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map(({ image, platform, annotations }) => ({
      ...image.manifestDesc,
      platform: cleanPlatform(platform),
      ...(annotations ? { annotations } : {}),
    })),
    ...(annotations ? { annotations } : {}),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(index));
  const { digest, size } = await content.writeBytes(bytes);
  return { index, bytes, desc: { mediaType, digest, size }, images };
}

/** `os/arch[/variant]` as a directory name: `linux_arm64`, `linux_arm_v7` (BuildKit's local exporter). */
export function platformDir(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("_");
}

function cleanPlatform(p: Platform): Platform {
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) };
}

/**
 * Pushes every platform's image by digest into the first tag's repository (blobs, config, manifest), then the
 * index under each tag. Tags in other repositories get the images too (by digest) before their index.
 */
export async function pushIndex(
  registry: RegistryClient,
  content: ContentStore,
  stored: StoredIndex,
  tags: Reference[],
  origins: BlobOrigins,
  log: (msg: string) => void,
): Promise<void> {
  const repos = new Map<string, Reference>();
  for (const t of tags) repos.set(`${t.registry}/${t.repository}`, t);
  for (const repo of repos.values()) {
    for (const { image } of stored.images) {
      const byDigest = parseReference(`${repo.registry}/${repo.repository}@${image.manifestDesc.digest}`);
      await pushImage(registry, content, image, [byDigest], origins, log);
    }
  }
  for (const tag of tags) {
    const digest = await registry.putManifest(tag, stored.bytes, stored.desc.mediaType);
    log(`pushed ${tag.digest ? tag.toString() : `${tag.toString()}@${digest}`}`);
  }
}

/**
 * The store's record naming a multi-platform result by its index; `compression` is set while its images' layers
 * are still uncompressed (how `tsbuild push` will compress them).
 */
export function indexRecord(
  name: string,
  stored: StoredIndex,
  created: string,
  compression?: Compression,
): ImageRecord {
  return {
    name,
    manifestDigest: stored.desc.digest,
    configDigest: stored.images[0]?.image.manifest.config.digest ?? "",
    mediaType: stored.desc.mediaType,
    size: stored.images.reduce(
      (n, { image }) =>
        n + image.manifestDesc.size + image.manifest.config.size +
        image.manifest.layers.reduce((s, l) => s + l.size, 0),
      0,
    ),
    created,
    ...(compression ? { compression } : {}),
  };
}

/**
 * `--output type=local|tar` of several platforms: each platform's filesystem under its own directory, as BuildKit
 * writes them (`dest/linux_amd64/...`); a tar holds the same tree.
 */
export async function writeMultiLocal(
  layers: LayerStore,
  chains: { platform: Platform; chain: ExportLayer[] }[],
  dest: string,
  asTar: boolean,
): Promise<void> {
  if (!asTar) await Deno.mkdir(dest, { recursive: true });
  let first = true;
  for (const { platform, chain } of chains) {
    const name = await layers.unpack(chain);
    const view = await layers.viewMounted(name);
    const dir = platformDir(platform);
    try {
      const args = asTar
        ? [
          "tar",
          first ? "-cf" : "-rf",
          dest,
          "--numeric-owner",
          "--owner=0",
          "--group=0",
          "-C",
          view.rootfs,
          "--transform",
          `s,^\\.,${dir},`,
          ".",
        ]
        : [
          "cp",
          "-r",
          "--preserve=mode,timestamps,links",
          "--no-preserve=ownership",
          "-T",
          view.rootfs,
          `${dest}/${dir}`,
        ];
      const out = await new Deno.Command(args[0], { args: args.slice(1), stdout: "null", stderr: "piped" }).output();
      if (!out.success) {
        throw new TsbuildError(`writing ${dest} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
      }
    } finally {
      await view.release();
    }
    first = false;
  }
}
