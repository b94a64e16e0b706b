import { MediaType } from "../oci/media_types.ts";
import { applyLayer } from "./apply.ts";
import { ContentStore, processAlive, sha256Digest } from "./content_store.ts";
import { type Change, layerTar, treeChanges } from "./diff.ts";
import { SMALL_ENTRIES, snapshotChanges, STORED_LAYER_LIMIT } from "./derived_layers.ts";
import { sha256 } from "./node.ts";
import { BlobNotFoundError, LayerApplyError, SnapshotError } from "./errors.ts";
import { withLock } from "./lock.ts";
import type { SnapshotterKind } from "./meta.ts";
import { isMountPoint, type Mount, mountAt, unmount } from "./mount.ts";
import { probeSnapshotter } from "./probe.ts";
import { decompressStream } from "./layer_compression.ts";
import { join } from "./path.ts";
import { concatBytes } from "./file_chunks.ts";
import { DirSnapshotter, type Snapshotter } from "./snapshotter.ts";
import { readXattrs } from "./xattr.ts";
import { cloneTree } from "./clone_tree.ts";
import { hostPid } from "../runtime/mod.ts";

/** A layer blob as the solver knows it: the manifest descriptor plus the config's diffID. */
export interface LayerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  diffID: string;
}

/** A snapshot mounted for use; `release` unmounts and removes it (a no-op after `commit`). */
export interface MountedSnapshot {
  key: string;
  rootfs: string;
  release(): Promise<void>;
}

/** Options of `LayerStore.commit`. */
export interface CommitOptions {
  /** Clamp file mtimes to this (seconds since the epoch) for reproducible layers. */
  sourceDateEpoch?: number;
  /**
   * The snapshot was cloned from one whose layer is `diffID`, then the files at `changed` (layer paths) replaced:
   * the others' bodies are read from that layer's stored tar, when it is stored (see tar_bodies.ts).
   */
  reuse?: { diffID: string; changed: ReadonlySet<string> };
}

class Mounted implements MountedSnapshot {
  done = false;
  constructor(
    readonly key: string,
    readonly rootfs: string,
    public mountpoint: string | undefined,
    readonly store: LayerStore,
  ) {}
  async unmount(): Promise<void> {
    if (!this.mountpoint) return;
    await unmount(this.mountpoint);
    await Deno.remove(this.mountpoint).catch(() => {});
    this.mountpoint = undefined;
  }
  async release(): Promise<void> {
    if (this.done) return;
    await this.unmount();
    this.done = true;
    await this.store.snapshotter.remove(this.key);
  }
}

/** The store the solver uses: content-addressed blobs plus snapshots of unpacked and built layers. */
export class LayerStore {
  readonly snapshotter: Snapshotter & DirSnapshotter;
  readonly #mountsDir: string;
  readonly #locksDir: string;

  private constructor(readonly root: string, readonly content: ContentStore, readonly kind: SnapshotterKind) {
    this.#mountsDir = join(root, "mounts");
    this.#locksDir = join(root, "locks");
    this.snapshotter = new DirSnapshotter(join(root, "snapshots"), this.#locksDir, kind);
  }

  /**
   * Opens (creating) the store at `root`. `auto` probes overlay → fuse-overlayfs → native once and records the
   * result in `<root>/snapshotter.json`. Leftovers of killed processes (ingest files, their active snapshots and
   * mounts) are cleaned here.
   */
  static async open(
    root: string,
    opts: { snapshotter?: "auto" | SnapshotterKind } = {},
  ): Promise<LayerStore> {
    await Deno.mkdir(join(root, "mounts"), { recursive: true });
    await Deno.mkdir(join(root, "locks"), { recursive: true });
    const content = new ContentStore(root);
    let kind = opts.snapshotter ?? "auto";
    if (kind === "auto") {
      kind = await withLock(join(root, "locks", "probe.lock"), async () => {
        const file = join(root, "snapshotter.json");
        try {
          return (JSON.parse(await Deno.readTextFile(file)) as { kind: SnapshotterKind }).kind;
        } catch {
          const found = await probeSnapshotter(root);
          await Deno.writeTextFile(`${file}.tmp`, JSON.stringify({ kind: found }));
          await Deno.rename(`${file}.tmp`, file);
          return found;
        }
      });
    }
    const store = new LayerStore(root, content, kind);
    await content.cleanIngest();
    await store.snapshotter.cleanLeftovers(processAlive, async (id) => {
      const mp = join(store.#mountsDir, String(id));
      if (await isMountPoint(mp)) await unmount(mp).catch(() => {});
      await Deno.remove(mp).catch(() => {});
    });
    return store;
  }

  /** The OCI chain id of `diffIDs`: the name of the committed snapshot holding that stack of layers. */
  chainID(diffIDs: string[]): string | undefined {
    let chain: string | undefined;
    for (const d of diffIDs) chain = chain === undefined ? d : sha256Digest(`${chain} ${d}`);
    return chain;
  }

  async hasSnapshot(name: string): Promise<boolean> {
    return (await this.snapshotter.stat(name))?.kind === "committed";
  }

  async unpack(layers: LayerDescriptor[], fetch?: (l: LayerDescriptor) => Promise<void>): Promise<string | undefined> {
    const names = layers.map((_, i) => this.chainID(layers.slice(0, i + 1).map((l) => l.diffID))!);
    let start = layers.length;
    while (start > 0 && !(await this.hasSnapshot(names[start - 1]))) start--;
    if (start === layers.length) return names.at(-1);
    // Downloads happen outside the lock so one slow pull does not hold up other builds, three at a time as
    // docker pulls; the layers are then applied in order.
    const missing = layers.slice(start);
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const l = missing[next++];
        if (!(await this.content.has(l.digest)) && fetch) await fetch(l);
        if (!(await this.content.has(l.digest))) throw new BlobNotFoundError(l.digest);
      }
    };
    await Promise.all(Array.from({ length: Math.min(3, missing.length) }, worker));
    await withLock(join(this.#locksDir, "unpack.lock"), async () => {
      for (let i = start; i < layers.length; i++) {
        if (await this.hasSnapshot(names[i])) continue;
        await this.#applyOne(layers[i], i > 0 ? names[i - 1] : undefined, names[i]);
      }
    });
    return names.at(-1);
  }

  async #applyOne(layer: LayerDescriptor, parent: string | undefined, name: string): Promise<void> {
    const active = await this.prepareMounted(parent) as Mounted;
    try {
      const tarStream = await decompressed(this.content.readStream(layer.digest));
      const r = await applyLayer(tarStream, active.rootfs, { label: `layer ${layer.digest}` });
      if (r.diffID !== layer.diffID) {
        throw new LayerApplyError(
          `layer ${layer.digest} unpacks to diffID ${r.diffID}, but the image config says ${layer.diffID}`,
        );
      }
      await active.unmount();
      await this.snapshotter.commit(name, active.key);
      active.done = true;
    } finally {
      await active.release();
    }
  }

  prepareMounted(parent: string | undefined): Promise<MountedSnapshot> {
    const key = `active-${hostPid()}-${crypto.randomUUID()}`;
    return this.#mounted(key, this.snapshotter.prepare(key, parent));
  }

  viewMounted(name: string | undefined): Promise<MountedSnapshot> {
    const key = `view-${hostPid()}-${crypto.randomUUID()}`;
    return this.#mounted(key, this.snapshotter.view(key, name));
  }

  /**
   * An active snapshot on `parent` whose own tree starts as a hardlinked clone of committed snapshot `from`'s own
   * tree (snapshotter/clone_tree.ts), left unmounted: `rootfs` is that tree itself, which the caller edits by
   * replacing files (never writing into one: their inodes are shared with `from`), then commits. Overlay kinds only
   * (undefined for native, whose trees are full copies). Throws, having released it, when `from` cannot be cloned.
   */
  async prepareCloned(
    parent: string | undefined,
    from: string,
  ): Promise<{ snapshot: MountedSnapshot; entries: number } | undefined> {
    if (this.kind === "native") return undefined;
    const src = this.snapshotter.fsDir((await this.snapshotter.record(from)).id);
    const key = `active-${hostPid()}-${crypto.randomUUID()}`;
    await this.snapshotter.prepare(key, parent);
    const m = new Mounted(key, this.snapshotter.fsDir((await this.snapshotter.record(key)).id), undefined, this);
    try {
      return { snapshot: m, entries: await cloneTree(src, m.rootfs) };
    } catch (e) {
      await m.release().catch(() => {});
      throw e;
    }
  }

  /** The path of a note kept beside committed snapshot `name`'s tree (gone with it); undefined without one. */
  async notePath(name: string, note: string): Promise<string | undefined> {
    const r = (await this.snapshotter.meta.read()).snapshots[name];
    if (r?.kind !== "committed") return undefined;
    return join(this.snapshotter.snapshotsDir, String(r.id), `${note}.json`);
  }

  async #mounted(key: string, created: Promise<Mount[]>): Promise<Mounted> {
    const mounts = await created;
    const m = mounts[0];
    // A writable bind is our own directory: use it in place. The native snapshotter never mounts (it is the
    // fallback for where mounting fails), so its views are the parent's directory itself, read-only by contract.
    if (m.type === "bind" && (this.kind === "native" || m.options.includes("rw"))) {
      return new Mounted(key, m.source, undefined, this);
    }
    const id = (await this.snapshotter.record(key)).id;
    const mp = join(this.#mountsDir, String(id));
    try {
      await Deno.mkdir(mp, { recursive: true });
      await mountAt(m, mp, this.snapshotter.snapshotsDir);
    } catch (e) {
      await this.snapshotter.remove(key).catch(() => {});
      throw e;
    }
    return new Mounted(key, mp, mp, this);
  }

  async commit(
    active: MountedSnapshot,
    opts: CommitOptions = {},
  ): Promise<{ name: string; layer: LayerDescriptor; empty: boolean }> {
    if (!(active instanceof Mounted) || active.done) {
      throw new SnapshotError(`snapshot ${active.key} was not prepared by this store or is already committed`);
    }
    const rec = await this.snapshotter.record(active.key);
    if (rec.kind !== "active") throw new SnapshotError(`snapshot ${active.key} is a read-only view`);
    await active.unmount();
    const { changes, xattrs } = await snapshotChanges(
      this.snapshotter.snapshotsDir,
      await this.snapshotter.meta.read(),
      active.key,
    );
    const { layer, empty, stored } = await this.#hashLayer(changes, xattrs, opts);
    const diffID = layer.diffID;
    const name = rec.parent === undefined ? diffID : sha256Digest(`${rec.parent} ${diffID}`);
    active.done = true;
    if (empty && rec.parent !== undefined) {
      await this.snapshotter.remove(active.key);
      return { name: rec.parent, layer, empty };
    }
    try {
      await this.snapshotter.commit(name, active.key);
    } catch (e) {
      // The same tree was committed before (or concurrently): keep that one.
      if (!(e instanceof SnapshotError) || !(await this.hasSnapshot(name))) throw e;
      await this.snapshotter.remove(active.key);
    }
    if (!stored) {
      await this.content.derived.put({
        diffID,
        size: layer.size,
        snapshot: name,
        sourceDateEpoch: opts.sourceDateEpoch,
      });
    }
    return { name, layer, empty };
  }

  /**
   * Changes → tar, hashed for its diffID. Whether the tar is also stored as a blob is decided once its first
   * STORED_LAYER_LIMIT bytes are read: a smaller tar is stored, and so is one of small files (read back, a stored tar
   * costs one file read; made again, ~30 µs per entry: 0.6 s for a 20,000-file COPY), while a tar of big files is
   * left to be made again from its snapshot when read (derived_layers.ts) and `stored` is false.
   */
  async #hashLayer(
    changes: Iterable<Change>,
    xattrs: Map<string, Record<string, Uint8Array>>,
    opts: CommitOptions,
  ): Promise<{ layer: LayerDescriptor; empty: boolean; stored: boolean }> {
    const reuse = opts.reuse && { tar: this.content.path(opts.reuse.diffID), changed: opts.reuse.changed };
    const { stream, entries, entriesSoFar } = layerTar(changes, {
      sourceDateEpoch: opts.sourceDateEpoch,
      xattrs,
      reuse,
    });
    const reader = stream.getReader();
    const head: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    while (size <= STORED_LAYER_LIMIT) {
      const r = await reader.read();
      if (r.done) {
        ended = true;
        break;
      }
      head.push(r.value.slice()); // kept while tar-stream goes on
      size += r.value.byteLength;
    }
    const layer = (digest: string, bytes: number): LayerDescriptor => ({
      mediaType: MediaType.OciLayer,
      digest,
      size: bytes,
      diffID: digest,
    });
    if (ended) {
      const { digest, size: bytes } = await this.content.writeBytes(concatBytes(head));
      return { layer: layer(digest, bytes), empty: (await entries) === 0, stored: true };
    }
    if (entriesSoFar() * SMALL_ENTRIES > size) {
      // The head read so far, then the rest of the tar, into the store (which hashes it).
      const whole = new ReadableStream<Uint8Array>({
        start(c) {
          for (const h of head) c.enqueue(h);
        },
        async pull(c) {
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
      const { digest, size: bytes } = await this.content.writeStream(whole);
      return { layer: layer(digest, bytes), empty: (await entries) === 0, stored: true };
    }
    const hash = sha256();
    for (const h of head) hash.update(h);
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      hash.update(r.value);
      size += r.value.byteLength;
    }
    return { layer: layer("sha256:" + hash.digest("hex"), size), empty: (await entries) === 0, stored: false };
  }

  /**
   * Changes → tar → content store, streamed; `empty` when there was no entry. The blob is the uncompressed tar, so
   * its digest is the diffID: compression happens when the layer leaves the store (see LayerCompressor).
   */
  async #writeLayer(
    changes: Iterable<Change> | AsyncIterable<Change>,
    xattrs: Map<string, Record<string, Uint8Array>>,
    opts: CommitOptions,
  ): Promise<{ layer: LayerDescriptor; empty: boolean }> {
    const { stream, entries } = layerTar(changes, { sourceDateEpoch: opts.sourceDateEpoch, xattrs });
    const { digest, size } = await this.content.writeStream(stream);
    const empty = (await entries) === 0;
    return { layer: { mediaType: MediaType.OciLayer, digest, size, diffID: digest }, empty };
  }

  /**
   * One layer holding everything that differs between two committed snapshots (`--squash`): the tree of `upper`
   * compared with the tree of `lower` (undefined = empty), whatever the layers in between did.
   */
  async squash(
    lower: string | undefined,
    upper: string | undefined,
    opts: CommitOptions = {},
  ): Promise<{ layer: LayerDescriptor; empty: boolean }> {
    const lo = lower === undefined ? undefined : await this.viewMounted(lower);
    const up = await this.viewMounted(upper);
    try {
      const xattrs = await readXattrs(up.rootfs);
      return await this.#writeLayer(treeChanges(lo?.rootfs, up.rootfs), xattrs, opts);
    } finally {
      await up.release();
      await lo?.release();
    }
  }
}

/** The uncompressed tar of a blob, by its magic bytes (media types lie: Docker accepts either). */
async function decompressed(
  blob: ReadableStream<Uint8Array>,
): Promise<ReadableStream<Uint8Array>> {
  const reader = blob.getReader();
  const first = await reader.read();
  const head = first.value ?? new Uint8Array();
  const rest = new ReadableStream<Uint8Array>({
    start(c) {
      if (head.byteLength) c.enqueue(head);
    },
    async pull(c) {
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const zstd = head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
  return decompressStream(rest, gzip ? "gzip" : zstd ? "zstd" : "none");
}
