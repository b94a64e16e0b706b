import { join } from "./path.ts";
import { withLock } from "./lock.ts";
import { hostPid } from "../runtime/mod.ts";

/** Which implementation wrote a store's snapshots (their on-disk forms differ, so one store uses one). */
export type SnapshotterKind = "overlay" | "fuse-overlayfs" | "native";

/** One snapshot as recorded in `snapshots/meta.json`. */
export interface SnapshotRecord {
  /** Directory `snapshots/<id>` holding `fs` (and `work` for overlay kinds). */
  id: number;
  parent?: string;
  kind: "active" | "view" | "committed";
  /** Process that owns an active snapshot or view: when it is gone, the snapshot is a leftover of a kill. */
  pid?: number;
}

/** The whole metadata file. */
export interface MetaFile {
  version: 1;
  kind: SnapshotterKind;
  next: number;
  /**
   * Which xattr namespace the kernel overlay used for this store's opaque dirs (`user` in a user namespace, `trusted`
   * as real root): the other mode would silently ignore them, so a store sticks to one.
   */
  overlayXattr?: "user" | "trusted";
  snapshots: Record<string, SnapshotRecord>;
}

/**
 * Snapshot metadata, read and rewritten whole under a lock file: the rewrite goes to a temp file that is fsynced and
 * renamed over `meta.json`, so a kill leaves either the old or the new state, and a commit is atomic.
 */
export class MetaStore {
  readonly #file: string;
  readonly #lock: string;
  readonly #kind: SnapshotterKind;

  constructor(readonly snapshotsDir: string, lockDir: string, kind: SnapshotterKind) {
    this.#file = join(snapshotsDir, "meta.json");
    this.#lock = join(lockDir, "meta.lock");
    this.#kind = kind;
  }

  /** A consistent read (no lock needed: the file is only ever replaced by rename). */
  async read(): Promise<MetaFile> {
    try {
      return JSON.parse(await Deno.readTextFile(this.#file)) as MetaFile;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return { version: 1, kind: this.#kind, next: 1, snapshots: {} };
      throw e;
    }
  }

  /** Runs `fn` on the current metadata under the lock and persists what it changed. */
  update<T>(fn: (meta: MetaFile) => T | Promise<T>): Promise<T> {
    return withLock(this.#lock, async () => {
      const meta = await this.read();
      const before = JSON.stringify(meta);
      const result = await fn(meta);
      const after = JSON.stringify(meta, null, 1);
      if (JSON.stringify(meta) !== before) {
        const tmp = `${this.#file}.${hostPid()}.tmp`;
        const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
        try {
          const bytes = new TextEncoder().encode(after);
          for (let off = 0; off < bytes.length;) off += await f.write(bytes.subarray(off));
          await f.sync();
        } finally {
          f.close();
        }
        await Deno.rename(tmp, this.#file);
      }
      return result;
    });
  }
}
