import { type ImageConfig, type ImageManifest, MediaType } from "../oci/mod.ts";
import { type Compression, compressLayers, type ContentStore, LayerCompressor } from "../snapshotter/mod.ts";
import { type StoredImage, storeImage } from "./manifest.ts";

/**
 * The manifest a stored image gets when it leaves the store: its uncompressed layers (as builds keep them) replaced
 * by their compressed blobs, made now or found from an earlier push. The config and its diffIDs do not change, so
 * the image ID stays the same; the manifest digest is that of the pushed image.
 */
export async function compressStoredImage(
  content: ContentStore,
  manifest: ImageManifest,
  config: ImageConfig,
  compression: Compression,
): Promise<StoredImage> {
  const diffIDs = config.rootfs?.diff_ids ?? [];
  const layers = manifest.layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffID: diffIDs[i] }));
  const compressed = await compressLayers(new LayerCompressor(content), layers, compression);
  const format = manifest.mediaType === MediaType.DockerManifest ? "docker" : "oci";
  return await storeImage(content, config, compressed, format);
}
