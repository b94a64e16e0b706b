/**
 * Built layers kept as the snapshot they were diffed from instead of as a second, uncompressed copy of their tar.
 *
 * A commit has to hash its tar to learn the diffID, but writing it out as well (and fsyncing it) doubled a big RUN's
 * disk traffic: a 512 MB layer cost a 512 MB write nobody reads unless the image leaves the store, and every built
 * layer was on disk twice. Layers over {@linkcode STORED_LAYER_LIMIT} whose entries are big files (see
 * {@linkcode SMALL_ENTRIES}; a tar of many small files is cheaper to write once than to make again) are only recorded
 * (`<root>/layers/<diffID hex>.json`: snapshot name, size, the commit's options), and the content store makes their
 * bytes again from the committed snapshot when someone reads them (compression for a push, an uncompressed export,
 * the cache exporter), checking them against the diffID as they stream. A committed snapshot never changes, so the
 * same walk gives the same tar; should it have changed anyway, the reader fails with
 * {@linkcode LayerRegenerationError} and the record is dropped, so no cache check trusts the layer again (prune then
 * drops the snapshot itself). Without its snapshot (after `prune`, which writes out the layers of images it keeps
 * first) a recorded layer is simply not in the store.
 *
 * @module
 */
import { type Change, layerTar, overlayChanges, treeChanges } from "./diff.ts";
import { BlobNotFoundError, SnapshotError } from "./errors.ts";
import type { MetaFile } from "./meta.ts";
import { sha256 } from "./node.ts";
import { join } from "./path.ts";
import { lowerDirs, snapshotFsDir } from "./snapshotter.ts";
import { readXattrs } from "./xattr.ts";
import { TsbuildError } from "../errors.ts";
import { hostPid } from "../runtime/mod.ts";

/** Layers whose tar is at most this many bytes are stored as blobs: for them a walk would cost more than the file. */
export const STORED_LAYER_LIMIT = 1 << 20;
/**
 * Layers whose first STORED_LAYER_LIMIT bytes hold entries of less than this many bytes on average are stored too:
 * making a tar of many small files again costs more than writing it once.
 */
export const SMALL_ENTRIES = 64 << 10;

/** How to make a layer's tar again. */
export interface LayerRecipe {
  diffID: string;
  size: number;
  /** The committed snapshot whose own changes the tar holds. */
  snapshot: string;
  sourceDateEpoch?: number;
}

/** A recorded layer whose snapshot no longer gives the tar its diffID names. */
export class LayerRegenerationError extends TsbuildError {
  constructor(readonly diffID: string, readonly snapshot: string, actual: string) {
    super(
      `layer ${diffID} can no longer be made from snapshot ${snapshot}: its files give ${actual}. ` +
        `The store was changed behind tsbuild's back: run tsbuild prune, then build again`,
    );
  }
}

/** The changes a snapshot holds against its parent, read the way a commit reads them. */
export async function snapshotChanges(
  snapshotsDir: string,
  meta: MetaFile,
  key: string,
): Promise<{ changes: Iterable<Change>; xattrs: Map<string, Record<string, Uint8Array>> }> {
  const r = meta.snapshots[key];
  if (!r) throw new SnapshotError(`snapshot ${JSON.stringify(key)} does not exist`);
  const fs = snapshotFsDir(snapshotsDir, r.id);
  const xattrs = await readXattrs(fs);
  const lowers = lowerDirs(snapshotsDir, meta, r.parent);
  const changes = meta.kind === "native" ? treeChanges(lowers[0], fs) : overlayChanges(fs, xattrs, "", lowers);
  return { changes, xattrs };
}

/** The recorded layers of one store. */
export class DerivedLayers {
  readonly #dir: string;
  readonly #snapshotsDir: string;

  constructor(readonly root: string) {
    this.#dir = join(root, "layers");
    this.#snapshotsDir = join(root, "snapshots");
  }

  #file(digest: string): string {
    return join(this.#dir, `${digest.slice(7)}.json`);
  }

  async #meta(): Promise<MetaFile | undefined> {
    try {
      return JSON.parse(await Deno.readTextFile(join(this.#snapshotsDir, "meta.json"))) as MetaFile;
    } catch {
      return undefined;
    }
  }

  /** Records how to make `recipe.diffID` (after its snapshot is committed, so a kill leaves no dangling record). */
  async put(recipe: LayerRecipe): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    const tmp = `${this.#file(recipe.diffID)}.${hostPid()}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(recipe));
    await Deno.rename(tmp, this.#file(recipe.diffID));
  }

  /** The recipe of `digest` when its snapshot is still committed. */
  async get(digest: string): Promise<LayerRecipe | undefined> {
    return (await this.#usable(digest))?.recipe;
  }

  /** The recipe of `digest` and the snapshot metadata that shows its snapshot still committed. */
  async #usable(digest: string): Promise<{ recipe: LayerRecipe; meta: MetaFile } | undefined> {
    let recipe: LayerRecipe;
    try {
      recipe = JSON.parse(await Deno.readTextFile(this.#file(digest))) as LayerRecipe;
    } catch {
      return undefined;
    }
    if (recipe.diffID !== digest) return undefined;
    const meta = await this.#meta();
    return meta?.snapshots[recipe.snapshot]?.kind === "committed" ? { recipe, meta } : undefined;
  }

  /** Drops the record of `digest`. */
  async forget(digest: string): Promise<void> {
    await Deno.remove(this.#file(digest)).catch(() => {});
  }

  /**
   * The tar of `digest` made from its snapshot. The stream errors with BlobNotFoundError when there is no usable
   * recipe, and with LayerRegenerationError at its end when the bytes do not hash to `digest` (before it closes, so
   * no consumer can mistake them for the layer).
   */
  open(digest: string): ReadableStream<Uint8Array> {
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let recipe: LayerRecipe | undefined;
    const hash = sha256();
    let size = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (!reader) {
          const usable = await this.#usable(digest);
          if (!usable) throw new BlobNotFoundError(digest);
          recipe = usable.recipe;
          const { changes, xattrs } = await snapshotChanges(this.#snapshotsDir, usable.meta, recipe.snapshot);
          reader = layerTar(changes, { sourceDateEpoch: recipe.sourceDateEpoch, xattrs }).stream.getReader();
        }
        const { done, value } = await reader.read();
        if (!done) {
          hash.update(value);
          size += value.byteLength;
          controller.enqueue(value);
          return;
        }
        const actual = "sha256:" + hash.digest("hex");
        if (actual !== digest || size !== recipe!.size) {
          await this.forget(digest);
          throw new LayerRegenerationError(digest, recipe!.snapshot, actual);
        }
        controller.close();
      },
      cancel: (reason) => reader?.cancel(reason),
    }, { highWaterMark: 0 });
  }
}
