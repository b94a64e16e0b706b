import { type ImageConfig, type ImageManifest, MediaType } from "../oci/mod.ts";
import { type Compression, compressLayers, type ContentStore, LayerCompressor } from "../snapshotter/mod.ts";
import type { Reference, RegistryClient } from "../registry/mod.ts";
import { type StoredImage, storeImage } from "./manifest.ts";
import { compressForPush } from "./push.ts";

/**
 * The manifest a stored image gets when it leaves the store: its uncompressed layers (as builds keep them) replaced
 * by their compressed blobs, made now or found from an earlier push. The config and its diffIDs do not change, so
 * the image ID stays the same; the manifest digest is that of the pushed image. With `pushTo`, layers compressed now
 * are uploaded to that reference on the way.
 */
export async function compressStoredImage(
  content: ContentStore,
  manifest: ImageManifest,
  config: ImageConfig,
  compression: Compression,
  pushTo?: { registry: RegistryClient; ref: Reference; log: (msg: string) => void },
): Promise<StoredImage> {
  const diffIDs = config.rootfs?.diff_ids ?? [];
  const layers = manifest.layers.map((l, i) => ({
    mediaType: l.mediaType,
    digest: l.digest,
    size: l.size,
    diffID: diffIDs[i],
  }));
  const compressor = new LayerCompressor(content);
  // A push uploads the layers it compresses now while compressing them (see compressForPush).
  const compressed = pushTo
    ? await compressForPush(pushTo.registry, compressor, layers, compression, pushTo.ref, pushTo.log)
    : await compressLayers(compressor, layers, compression);
  const format = manifest.mediaType === MediaType.DockerManifest ? "docker" : "oci";
  return await storeImage(content, config, compressed, format, manifest.annotations);
}
