import { join } from "./path.ts";
import { SnapshotError } from "./errors.ts";
import { type MetaFile, MetaStore, type SnapshotRecord, type SnapshotterKind } from "./meta.ts";
import { inUserNamespace, type Mount, run } from "./mount.ts";
import { hostPid } from "../runtime/mod.ts";

/** The tree directory of snapshot `id` under `snapshotsDir` (`<id>/fs`). */
export function snapshotFsDir(snapshotsDir: string, id: number): string {
  return join(snapshotsDir, String(id), "fs");
}

/** `fs` dirs of `parent` and its ancestors, nearest first (overlay's lowerdir order); native needs only the first. */
export function lowerDirs(snapshotsDir: string, m: MetaFile, parent: string | undefined): string[] {
  const dirs: string[] = [];
  for (let p = parent; p !== undefined; p = m.snapshots[p]?.parent) {
    const r = m.snapshots[p];
    if (!r) throw new SnapshotError(`snapshot metadata is broken: parent ${JSON.stringify(p)} is missing`);
    dirs.push(snapshotFsDir(snapshotsDir, r.id));
  }
  return dirs;
}

/** containerd's snapshotter shape, keyed by strings. */
export interface Snapshotter {
  prepare(key: string, parent?: string): Promise<Mount[]>;
  view(key: string, parent?: string): Promise<Mount[]>;
  commit(name: string, key: string): Promise<void>;
  remove(key: string): Promise<void>;
  mounts(key: string): Promise<Mount[]>;
  stat(key: string): Promise<{ name: string; parent?: string; kind: "active" | "view" | "committed" } | undefined>;
  usage(key: string): Promise<{ size: number; inodes: number }>;
}

/**
 * The three snapshotters share one layout (`snapshots/<id>/fs`) and metadata; they differ in what a snapshot's `fs`
 * holds and how it is mounted. overlay / fuse-overlayfs: `fs` is the snapshot's own diff (an overlay upper dir), a
 * child mounts its parents' `fs` as lowers. native: `fs` is a full copy of the tree (`cp -a` of the parent).
 */
export class DirSnapshotter implements Snapshotter {
  readonly meta: MetaStore;
  readonly #userxattr = inUserNamespace();

  constructor(readonly snapshotsDir: string, lockDir: string, readonly kind: SnapshotterKind) {
    Deno.mkdirSync(snapshotsDir, { recursive: true });
    Deno.mkdirSync(lockDir, { recursive: true });
    this.meta = new MetaStore(snapshotsDir, lockDir, kind);
  }

  /** The tree directory of a snapshot id. */
  fsDir(id: number): string {
    return snapshotFsDir(this.snapshotsDir, id);
  }

  /** The record of `key`, or a SnapshotError naming it. */
  async record(key: string): Promise<SnapshotRecord> {
    const r = (await this.meta.read()).snapshots[key];
    if (!r) throw new SnapshotError(`snapshot ${JSON.stringify(key)} does not exist`);
    return r;
  }

  prepare(key: string, parent?: string): Promise<Mount[]> {
    return this.#create(key, parent, "active");
  }

  view(key: string, parent?: string): Promise<Mount[]> {
    return this.#create(key, parent, "view");
  }

  async #create(key: string, parent: string | undefined, kind: "active" | "view"): Promise<Mount[]> {
    const { record, parentRecord } = await this.meta.update((m) => {
      if (m.kind !== this.kind) {
        throw new SnapshotError(`this store's snapshots were made by the ${m.kind} snapshotter, not ${this.kind}`);
      }
      if (this.kind === "overlay") {
        const mode = this.#userxattr ? "user" : "trusted";
        m.overlayXattr ??= mode;
        if (m.overlayXattr !== mode) {
          throw new SnapshotError(
            `this store's overlay snapshots were made ${
              m.overlayXattr === "user" ? "in a user namespace" : "as real root"
            }` +
              ` and cannot be used ${mode === "user" ? "rootless" : "as real root"}: use a separate store (--root)`,
          );
        }
      }
      if (m.snapshots[key]) throw new SnapshotError(`snapshot ${JSON.stringify(key)} already exists`);
      const parentRecord = parent === undefined ? undefined : m.snapshots[parent];
      if (parent !== undefined && parentRecord?.kind !== "committed") {
        throw new SnapshotError(`parent snapshot ${JSON.stringify(parent)} is not a committed snapshot`);
      }
      // The record is written before the directory exists, so a directory without a record is always garbage.
      const record: SnapshotRecord = { id: m.next++, parent, kind, pid: hostPid() };
      m.snapshots[key] = record;
      return { record, parentRecord };
    });
    const dir = join(this.snapshotsDir, String(record.id));
    await Deno.mkdir(join(dir, "fs"), { recursive: true, mode: 0o755 });
    if (this.kind !== "native") await Deno.mkdir(join(dir, "work"), { recursive: true });
    if (this.kind === "native" && kind === "active" && parentRecord) {
      // reflink where the filesystem can, so a copy-based snapshot of a big base stays cheap.
      await run("cp", ["-a", "--reflink=auto", `${this.fsDir(parentRecord.id)}/.`, join(dir, "fs")]);
    }
    return this.mounts(key);
  }

  async mounts(key: string): Promise<Mount[]> {
    const m = await this.meta.read();
    const r = m.snapshots[key];
    if (!r) throw new SnapshotError(`snapshot ${JSON.stringify(key)} does not exist`);
    const own = this.fsDir(r.id);
    const lowers = this.#lowerDirs(m, r.parent);
    const bind = (source: string, ro: boolean): Mount[] => [
      { type: "bind", source, options: [ro ? "ro" : "rw", "rbind"] },
    ];
    if (r.kind === "committed" || r.kind === "view") {
      if (this.kind === "native" || lowers.length <= 1) return bind(lowers[0] ?? own, true);
      return [this.#overlay([`lowerdir=${lowers.join(":")}`])];
    }
    if (this.kind === "native" || lowers.length === 0) return bind(own, false);
    const dir = join(this.snapshotsDir, String(r.id));
    return [this.#overlay([`workdir=${join(dir, "work")}`, `upperdir=${own}`, `lowerdir=${lowers.join(":")}`])];
  }

  #overlay(options: string[]): Mount {
    if (this.kind === "fuse-overlayfs") return { type: "fuse3.fuse-overlayfs", source: "overlay", options };
    return { type: "overlay", source: "overlay", options: [...options, ...overlayFeatureOptions(this.#userxattr)] };
  }

  /** `fs` dirs of `parent` and its ancestors, nearest first (overlay's lowerdir order); native needs only the first. */
  #lowerDirs(m: MetaFile, parent: string | undefined): string[] {
    return lowerDirs(this.snapshotsDir, m, parent);
  }

  async commit(name: string, key: string): Promise<void> {
    await this.meta.update((m) => {
      const r = m.snapshots[key];
      if (!r || r.kind !== "active") throw new SnapshotError(`snapshot ${JSON.stringify(key)} is not active`);
      if (m.snapshots[name]) throw new SnapshotError(`snapshot ${JSON.stringify(name)} already exists`);
      delete m.snapshots[key];
      m.snapshots[name] = { id: r.id, parent: r.parent, kind: "committed" };
    });
    if (this.kind !== "native") {
      // overlay's workdir is scratch space only while mounted; empty it so usage reflects the tree alone.
      const work = join(this.snapshotsDir, String((await this.record(name)).id), "work");
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  }

  async remove(key: string): Promise<void> {
    const r = await this.meta.update((m) => {
      const r = m.snapshots[key];
      if (!r) throw new SnapshotError(`snapshot ${JSON.stringify(key)} does not exist`);
      const child = Object.entries(m.snapshots).find(([, c]) => c.parent === key);
      if (child) {
        throw new SnapshotError(`snapshot ${JSON.stringify(key)} is the parent of ${JSON.stringify(child[0])}`);
      }
      delete m.snapshots[key];
      return r;
    });
    await Deno.remove(join(this.snapshotsDir, String(r.id)), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }

  async stat(
    key: string,
  ): Promise<{ name: string; parent?: string; kind: "active" | "view" | "committed" } | undefined> {
    const r = (await this.meta.read()).snapshots[key];
    return r && { name: key, parent: r.parent, kind: r.kind };
  }

  async usage(key: string): Promise<{ size: number; inodes: number }> {
    const r = await this.record(key);
    const seen = new Set<string>();
    let size = 0;
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        const p = join(dir, e.name);
        const st = await Deno.lstat(p);
        const id = `${st.dev}:${st.ino}`;
        if (seen.has(id)) continue; // a hardlinked file takes its space once
        seen.add(id);
        size += st.size;
        if (st.isDirectory) await walk(p);
      }
    };
    await walk(this.fsDir(r.id));
    return { size, inodes: seen.size };
  }

  /**
   * Drops what dead processes left behind: active snapshots and views whose owner is gone, and snapshot directories
   * no record names. `release(id)` runs first for each dead snapshot (to unmount what its owner left mounted).
   */
  async cleanLeftovers(alive: (pid: number) => boolean, release: (id: number) => Promise<void>): Promise<number[]> {
    return await this.meta.update(async (m) => {
      const dead: number[] = [];
      for (const [key, r] of Object.entries(m.snapshots)) {
        if (r.kind !== "committed" && r.pid !== hostPid() && (r.pid === undefined || !alive(r.pid))) {
          dead.push(r.id);
          await release(r.id);
          delete m.snapshots[key];
        }
      }
      const live = new Set(Object.values(m.snapshots).map((r) => String(r.id)));
      for await (const e of Deno.readDir(this.snapshotsDir)) {
        if (e.isDirectory && /^\d+$/.test(e.name) && !live.has(e.name)) {
          await Deno.remove(join(this.snapshotsDir, e.name), { recursive: true }).catch(() => {});
        }
      }
      return dead;
    });
  }
}

/**
 * Overlay features a diff of the upper dir cannot read are switched off whatever the kernel's defaults: metacopy
 * (a chmod would leave a data-less upper file), redirect_dir (a renamed dir would only point at its lower) and the
 * inode index. In a user namespace `userxattr` already forbids metacopy and redirects, and rejects `redirect_dir=off`.
 */
export function overlayFeatureOptions(userxattr: boolean): string[] {
  return userxattr ? ["userxattr", "index=off", "metacopy=off"] : ["index=off", "metacopy=off", "redirect_dir=off"];
}
