/**
 * `tsbuild push NAME [REF]` of a multi-platform image built into the store: each platform's image (its layers
 * compressed now if the build kept them as uncompressed tars) and then the index, as `--push` would have.
 * @module
 */
import type { ImageConfig, ImageIndex as OciImageIndex, ImageManifest } from "../oci/mod.ts";
import type { Reference, RegistryClient } from "../registry/mod.ts";
import { ContentStore, ImageIndex, type ImageRecord } from "../snapshotter/mod.ts";
import { compressStoredImage, indexRecord, type PlatformImage, pushIndex, type StoredImage, storeIndex } from "../exporter/mod.ts";

/** Pushes the stored index `rec` to `target`; returns the pushed index digest. */
export async function pushStoredIndex(root: string, rec: ImageRecord, target: Reference, client: RegistryClient): Promise<string> {
  const content = new ContentStore(root);
  const read = async <T>(digest: string): Promise<T> => JSON.parse(new TextDecoder().decode(await content.readBytes(digest))) as T;
  const index = await read<OciImageIndex>(rec.manifestDigest);
  const images: PlatformImage[] = [];
  for (const d of index.manifests) {
    const manifestBytes = await content.readBytes(d.digest);
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ImageManifest;
    const configBytes = await content.readBytes(manifest.config.digest);
    const config = JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig;
    let image: StoredImage = {
      manifest,
      manifestBytes,
      manifestDesc: { mediaType: d.mediaType, digest: d.digest, size: d.size },
      config,
      configBytes,
      layers: manifest.layers.map((l, i) => ({ ...l, diffID: config.rootfs?.diff_ids?.[i] ?? l.digest })),
    };
    if (rec.compression) image = await compressStoredImage(content, manifest, config, rec.compression);
    images.push({ platform: d.platform!, image, annotations: d.annotations });
  }
  const format = index.mediaType === "application/vnd.docker.distribution.manifest.list.v2+json" ? "docker" : "oci";
  // Compressing gave new manifests, hence a new index, named from now on so the next push finds it ready.
  const stored = await storeIndex(content, images, format, index.annotations);
  if (rec.compression) await new ImageIndex(root).put(indexRecord(rec.name, stored, rec.created));
  await pushIndex(client, content, stored, [target], { origins: new Map(), ensureBlob: () => Promise.resolve() }, (m) => console.error(m));
  return stored.desc.digest;
}
