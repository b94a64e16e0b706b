/**
 * Incremental COPY from the build context. When a COPY misses the cache only because some source files changed
 * (same parent snapshot, same instruction, same selected names, types, modes and link targets), its new tree is the
 * last one with those files replaced: start from a hardlinked clone of the last result and rewrite just them,
 * instead of creating every file again (on ext4 the inode creation of a 20,000-file copy is most of its time).
 * The result is the tree a full copy makes (same owners, modes, mtimes and contents), committed and keyed as usual;
 * the layer is byte for byte the same. One thing a later RUN can see differs: files shared with the earlier
 * snapshot have a link count above 1 (`stat -c %h`), as the other link lives outside the container.
 *
 * A note beside each such committed snapshot (`copy.json`) says what the copy wrote from where, and a pointer per
 * (context, parent, action) names the last snapshot: both are hints, checked before use; anything unexpected
 * (pruned snapshot, entry count off, a source that vanished) falls back to the full copy.
 * @module
 */
import { type LocalResult } from "./solver.ts";
import type { FileAction } from "../graph/mod.ts";
import type { CopyRecord } from "../fileop/mod.ts";
import type { SourceSelection } from "../context/mod.ts";
import type { LayerDescriptor, LayerStore } from "../snapshotter/mod.ts";
import { resolveInRoot } from "../context/mod.ts";
import { cacheKey } from "./cache_key.ts";
import { countEntries } from "../snapshotter/mod.ts";

type CopyAction = Extract<FileAction, { action: "copy" }>;

/** What `copy.json` holds: the selection's shape and, per entry the copy wrote, source → dest (+ hash, mtime). */
interface CopyNote {
  version: 1;
  base: string;
  shape: string;
  /** Entries below the snapshot's own tree (a clone must make exactly as many). */
  entries: number;
  files: [src: string, dest: string, hash: string, mtime: number][];
  symlinks: [src: string, dest: string, mtime: number][];
  dirs: [src: string, dest: string][];
  /** The snapshot's layer (diffID): a replay reads unchanged files' bodies from its tar when it is stored. */
  layer?: string;
}

/** Replacing more than this share of the files costs more than copying them all. */
const MAX_CHANGED = 0.5;

/** The one local-context copy of a file op that can be replayed incrementally, with its source. */
export function incrementalCandidate(
  actions: FileAction[],
  sourceOf: (from: number) => unknown,
): { action: CopyAction; local: LocalResult } | undefined {
  if (actions.length !== 1 || actions[0].action !== "copy" || actions[0].extractArchives) return undefined;
  const local = sourceOf(actions[0].from) as LocalResult | undefined;
  return local?.kind === "local" ? { action: actions[0], local } : undefined;
}

/** The key the last snapshot of this copy is found under: the context, the parent snapshot and the action. */
function baseKey(local: LocalResult, parent: string | undefined, action: CopyAction): string {
  return cacheKey({ incrementalCopy: 1, context: local.hasher.contextDir, parent: parent ?? "", action });
}

function pointerPath(storeRoot: string, base: string): string {
  return `${storeRoot}/cache/copy-base/${base}`;
}

/**
 * Builds the copy's tree from the last one when only file contents or mtimes changed; undefined when it cannot
 * (the caller copies in full). Throws only for a cancelled build.
 */
export async function copyIncrementally(
  layers: LayerStore,
  storeRoot: string,
  parent: string | undefined,
  c: { action: CopyAction; local: LocalResult },
  opts: { sourceDateEpoch?: number; signal?: AbortSignal },
): Promise<{ layer?: LayerDescriptor } | undefined> {
  const base = baseKey(c.local, parent, c.action);
  const last = (await Deno.readTextFile(pointerPath(storeRoot, base)).catch(() => "")).trim();
  if (!last) return undefined;
  const notePath = await layers.notePath(last, "copy");
  const note = notePath && await readNote(notePath);
  if (!note || note.base !== base) return undefined;
  const sel = await c.local.hasher.selection(c.action.src, { followPaths: c.action.followSymlinks });
  if (sel.shape !== note.shape) return undefined;
  const changed = note.files.filter(([src, , hash, mtime]) => {
    const e = sel.entries.get(src);
    return !e || e.hash !== hash || e.mtime !== mtime;
  });
  if (changed.length > note.files.length * MAX_CHANGED) return undefined;
  // A symlink made anew (same target) has a new mtime the copy would carry: rare enough to copy in full then.
  if (note.symlinks.some(([src, , mtime]) => sel.entries.get(src)?.mtime !== mtime)) return undefined;

  let prepared;
  try {
    prepared = await layers.prepareCloned(parent, last);
  } catch {
    return undefined; // pruned meanwhile, or not clonable: copy in full
  }
  if (!prepared) return undefined;
  const { snapshot, entries } = prepared;
  try {
    if (entries !== note.entries) {
      await snapshot.release();
      return undefined;
    }
    const upper = snapshot.rootfs;
    const ctx = c.local.hasher.contextDir;
    for (const [src, dest] of changed) {
      opts.signal?.throwIfAborted();
      replaceFile(resolveInRoot(ctx, src, c.action.followSymlinks), `${upper}/${dest}`, sel.entries.get(src)!.mtime);
    }
    // Replacing files moved their directories' mtimes: the copied ones take their source's, as in a full copy.
    for (const [src, dest] of note.dirs) {
      const t = new Date(sel.entries.get(src)!.mtime);
      Deno.utimeSync(`${upper}/${dest}`, t, t);
    }
  } catch (e) {
    await snapshot.release().catch(() => {});
    if (opts.signal?.aborted) throw e;
    return undefined;
  }
  const reuse = note.layer
    ? { diffID: note.layer, changed: new Set(changed.map(([, d]) => d.replace(/^\/+/, ""))) }
    : undefined;
  const committed = await layers.commit(snapshot, { sourceDateEpoch: opts.sourceDateEpoch, reuse });
  if (committed.empty) return {};
  await rememberCopy(layers, storeRoot, committed.name, committed.layer.diffID, parent, c, sel, {
    files: new Map(note.files.map(([s, d]) => [s, d])),
    symlinks: new Map(note.symlinks.map(([s, d]) => [s, d])),
    dirs: new Map(note.dirs),
    replayable: true,
  }, note.entries);
  return { layer: committed.layer };
}

/**
 * After a copy committed as snapshot `name` (layer diffID `layer`): writes its note and points this copy's base at
 * it, so the next build can start from it. `sel` must be the selection as it was before the copy read the files (a
 * file changed during the copy then only looks changed next time). Failing to remember is not an error: the next
 * build copies in full.
 */
export async function rememberCopy(
  layers: LayerStore,
  storeRoot: string,
  name: string,
  layer: string,
  parent: string | undefined,
  c: { action: CopyAction; local: LocalResult },
  sel: SourceSelection,
  rec: CopyRecord,
  entries?: number,
): Promise<void> {
  if (!rec.replayable) return;
  try {
    const notePath = await layers.notePath(name, "copy");
    if (!notePath) return;
    const base = baseKey(c.local, parent, c.action);
    const files: CopyNote["files"] = [];
    for (const [src, dest] of rec.files) {
      const e = sel.entries.get(src);
      if (e?.kind !== "f" || !e.hash) return;
      files.push([src, dest, e.hash, e.mtime]);
    }
    const symlinks: CopyNote["symlinks"] = [];
    for (const [src, dest] of rec.symlinks) {
      const e = sel.entries.get(src);
      if (e?.kind !== "l") return;
      symlinks.push([src, dest, e.mtime]);
    }
    for (const src of rec.dirs.keys()) if (sel.entries.get(src)?.kind !== "d") return;
    const fsDir = notePath.slice(0, notePath.lastIndexOf("/")) + "/fs";
    const note: CopyNote = {
      version: 1,
      base,
      shape: sel.shape,
      entries: entries ?? countEntries(fsDir),
      files,
      symlinks,
      dirs: [...rec.dirs],
      layer,
    };
    await writeAtomic(notePath, JSON.stringify(note));
    await Deno.mkdir(`${storeRoot}/cache/copy-base`, { recursive: true });
    await writeAtomic(pointerPath(storeRoot, base), name);
  } catch {
    // a hint only
  }
}

async function readNote(path: string): Promise<CopyNote | undefined> {
  try {
    const n = JSON.parse(await Deno.readTextFile(path)) as CopyNote;
    return n.version === 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

/**
 * Puts the source's current content at `dest` (a hard link shared with the last snapshot: unlinked, never written)
 * with the old entry's owner and mode, which the copy derived from what did not change, and the source's mtime.
 */
function replaceFile(src: string, dest: string, mtimeMs: number): void {
  const old = Deno.lstatSync(dest);
  Deno.removeSync(dest);
  Deno.copyFileSync(src, dest);
  Deno.chownSync(dest, old.uid ?? 0, old.gid ?? 0);
  Deno.chmodSync(dest, (old.mode ?? 0o644) & 0o7777);
  const t = new Date(mtimeMs);
  Deno.utimeSync(dest, t, t);
}
