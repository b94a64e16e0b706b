import { type Descriptor, type ImageConfig, type ImageManifest, MediaType } from "../oci/mod.ts";
import type { Compression, ContentStore, ImageRecord } from "../snapshotter/mod.ts";
import type { ExportLayer } from "./image_config.ts";

/** The two manifest families `--format` chooses between. */
export type ManifestFormat = "oci" | "docker";

/** A complete image in the content store. */
export interface StoredImage {
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  manifestDesc: Descriptor;
  config: ImageConfig;
  configBytes: Uint8Array;
  layers: ExportLayer[];
}

/** Layer media type in the chosen family: same bytes, the name the manifest family expects. */
export function layerMediaType(mediaType: string, format: ManifestFormat): string {
  const gzip = mediaType.endsWith("gzip");
  const zstd = mediaType.endsWith("zstd");
  if (format === "docker") return gzip ? MediaType.DockerLayerGzip : zstd ? MediaType.OciLayerZstd : MediaType.DockerLayer;
  return gzip ? MediaType.OciLayerGzip : zstd ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

/** Writes config and manifest into the store; layers must already be there (or be fetchable by the pusher). */
export async function storeImage(
  content: ContentStore,
  config: ImageConfig,
  layers: ExportLayer[],
  format: ManifestFormat,
  annotations?: Record<string, string>,
): Promise<StoredImage> {
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const cfg = await content.writeBytes(configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: format === "oci" ? MediaType.OciManifest : MediaType.DockerManifest,
    config: { mediaType: format === "oci" ? MediaType.OciConfig : MediaType.DockerConfig, digest: cfg.digest, size: cfg.size },
    layers: layers.map((l) => ({ mediaType: layerMediaType(l.mediaType, format), digest: l.digest, size: l.size })),
    ...(annotations ? { annotations } : {}),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const m = await content.writeBytes(manifestBytes);
  return {
    manifest,
    manifestBytes,
    manifestDesc: { mediaType: manifest.mediaType!, digest: m.digest, size: m.size },
    config,
    configBytes,
    layers,
  };
}

/**
 * The store's record naming `image`: `compression` is set while its layers are still uncompressed (how `tsbuild
 * push` will compress them).
 */
export function imageRecord(name: string, image: StoredImage, created: string, compression?: Compression): ImageRecord {
  return {
    name,
    manifestDigest: image.manifestDesc.digest,
    configDigest: image.manifest.config.digest,
    mediaType: image.manifestDesc.mediaType,
    size: image.manifest.config.size + image.manifest.layers.reduce((n, l) => n + l.size, 0),
    created,
    ...(compression ? { compression } : {}),
  };
}
