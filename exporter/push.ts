import type { Reference, RegistryClient } from "../registry/mod.ts";
import {
  type Compression,
  type ContentStore,
  LAYER_CONCURRENCY,
  type LayerBlob,
  type LayerCompressor,
  mapInOrder,
} from "../snapshotter/mod.ts";
import type { StoredImage } from "./manifest.ts";

/** Where a blob that is not in the local store can be read from (the base image's registry). */
export interface BlobOrigins {
  origins: Map<string, Reference>;
  ensureBlob(l: { digest: string; size: number; mediaType: string; diffID: string }): Promise<void>;
}

/**
 * Pushes an image under each tag: layers and config first, together (skipped when present, mounted from the base
 * image's repository when it is on the same registry, else streamed from the store), then the manifest per tag.
 */
export async function pushImage(
  registry: RegistryClient,
  content: ContentStore,
  image: StoredImage,
  tags: Reference[],
  origins: BlobOrigins,
  log: (msg: string) => void,
): Promise<void> {
  if (tags.length === 0) return;
  const target = tags[0];
  const uploads = image.layers.map(async (l, i) => {
    const desc = image.manifest.layers[i];
    const origin = origins.origins.get(l.digest);
    const mountFrom = origin && origin.registry === target.registry && origin.repository !== target.repository
      ? [origin.repository]
      : [];
    const how = await registry.pushBlob(target, desc, async () => {
      await origins.ensureBlob(l);
      return content.readStream(l.digest);
    }, { mountFrom });
    log(`layer ${l.digest.slice(7, 19)}: ${how}`);
  });
  // The config goes with the layers, as containerd pushes a manifest's blobs; only the manifest must wait for them.
  uploads.push(
    registry.pushBlob(target, image.manifest.config, () => content.readStream(image.manifest.config.digest)).then(
      () => {},
    ),
  );
  await Promise.all(uploads);
  for (const tag of tags) {
    if (tag.registry !== target.registry || tag.repository !== target.repository) {
      for (const [i, l] of image.layers.entries()) {
        await registry.pushBlob(tag, image.manifest.layers[i], async () => {
          await origins.ensureBlob(l);
          return content.readStream(l.digest);
        }, { mountFrom: tag.registry === target.registry ? [target.repository] : [] });
      }
      await registry.pushBlob(tag, image.manifest.config, () => content.readStream(image.manifest.config.digest));
    }
    const digest = await registry.putManifest(tag, image.manifestBytes, image.manifestDesc.mediaType);
    log(`pushed ${tag.digest ? tag.toString() : `${tag.toString()}@${digest}`}`);
  }
}

/**
 * Layers (uncompressed) up to this size are compressed first and uploaded after with a known length: a streamed
 * PATCH costs ~40 ms more on its own (chunked body; measured against distribution on loopback), more than
 * compressing a few MB takes.
 */
const STREAMED_UPLOAD_MIN = 4 << 20;

/**
 * The layers of an image about to be pushed to `target`, compressed (see `LayerCompressor`); a layer over
 * STREAMED_UPLOAD_MIN compressed now (no record from an earlier push) is uploaded to `target` while it is
 * compressed, so a new big layer costs about the slower of gzip and upload instead of their sum. Layers already
 * compressed, or whose streamed upload failed, are left for `pushImage` (HEAD, mount or upload from the store, with
 * retries); a registry that refuses or cannot be reached when the upload is opened fails here, before any
 * compression.
 */
export function compressForPush(
  registry: RegistryClient,
  compressor: LayerCompressor,
  layers: LayerBlob[],
  c: Compression,
  target: Reference,
  log: (msg: string) => void,
): Promise<LayerBlob[]> {
  return mapInOrder(layers, LAYER_CONCURRENCY, async (l) => {
    const open = l.size > STREAMED_UPLOAD_MIN ? () => registry.openBlobUpload(target) : undefined;
    const { blob, sink } = await compressor.compressedVia(l, c, open);
    if (sink.state === "committed") log(`layer ${blob.digest.slice(7, 19)}: uploaded while compressed`);
    if (sink.state === "failed") {
      const why = (sink.error as Error)?.message ?? String(sink.error);
      log(`layer ${blob.digest.slice(7, 19)}: streamed upload failed (${why}); uploading it from the store`);
    }
    return blob;
  });
}
