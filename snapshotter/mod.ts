/**
 * Content store and snapshotters: where tsbuild keeps blobs (`blobs/sha256/<hex>`, written atomically and verified)
 * and unpacked or built layers (snapshots on kernel overlay, fuse-overlayfs, or plain copies), plus the `LayerStore`
 * façade the solver uses to unpack image layers, mount snapshots for RUN/COPY, and turn a changed snapshot into a
 * reproducible layer (an uncompressed tar, compressed by `LayerCompressor` when an image leaves the store).
 *
 * @example
 * ```ts
 * import { LayerStore } from "./mod.ts";
 * const store = await LayerStore.open(await Deno.makeTempDir());
 * const active = await store.prepareMounted(undefined);
 * await Deno.writeTextFile(`${active.rootfs}/hello.txt`, "hi\n");
 * const { name, layer, empty } = await store.commit(active, { sourceDateEpoch: 0 });
 * console.log(store.kind, name === layer.diffID, empty, layer.digest);
 * ```
 * @module
 */
export { ContentStore, sha256Digest } from "./content_store.ts";
export { withLock } from "./lock.ts";
export type { Mount } from "./mount.ts";
export type { Snapshotter } from "./snapshotter.ts";
export type { SnapshotterKind } from "./meta.ts";
export { type CommitOptions, type LayerDescriptor, LayerStore, type MountedSnapshot } from "./layer_store.ts";
export { CloneRefusedError, cloneTree, countEntries } from "./clone_tree.ts";
export { DerivedLayers, type LayerRecipe, LayerRegenerationError, STORED_LAYER_LIMIT } from "./derived_layers.ts";
export { applyLayer, type ApplyOptions, type ApplyResult } from "./apply.ts";
export {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidDigestError,
  LayerApplyError,
  MountError,
  SnapshotError,
} from "./errors.ts";
export { ImageIndex, type ImageRecord } from "./image_index.ts";
export { GzipError, gzipParallel, type GzipParallelOptions } from "./gzip.ts";
export {
  type CompressedSink,
  type Compression,
  compressLayers,
  decompressStream,
  isUncompressed,
  LAYER_CONCURRENCY,
  type LayerBlob,
  LayerCompressor,
  mapInOrder,
  processStream,
  type SinkOutcome,
} from "./layer_compression.ts";
export { verifiedStream } from "./verified_stream.ts";
