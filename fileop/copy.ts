/**
 * COPY/ADD of local sources (BuildKit's file-op copy with Docker COPY semantics): glob expansion, directory
 * contents, trailing-slash destinations, `--parents`, `--exclude`, hardlinks kept, symlinks copied as links.
 * @module
 */
import type { FileAction } from "../graph/types.ts";
import {
  clampSource,
  ContextFilter,
  hasGlob,
  PatternMatcher,
  relToRoot,
  resolveInRoot,
  selectSource,
} from "../context/mod.ts";
import { extractArchive, sniffArchive } from "./archive.ts";
import type { ModeFn } from "./chmod.ts";
import { FileOpError } from "./errors.ts";
import { clearForWrite, lstatOrNull, mkdirAllInRoot, type Owner, setMeta } from "./meta.ts";
import { type CopyRecord, noteCopied } from "./copy_record.ts";

export type CopyAction = Extract<FileAction, { action: "copy" }>;

/** Everything a copy needs besides the action. */
export interface CopyContext {
  destRoot: string;
  srcRoot: string;
  /** `.dockerignore` of the source (paths relative to its root). */
  filter: ContextFilter;
  owner: Owner;
  /** Explicit `--chown`: also overrides ownership stored in archives. */
  chowned: boolean;
  /** Keep the source's owners (COPY --from a stage without --chown, as BuildKit does; context files are 0:0). */
  preserveOwner?: boolean;
  chmod: ModeFn | null;
  /** `COPY` or `ADD`, for messages. */
  what: string;
  /** Filled with what went where, for an incremental copy next time. */
  record?: CopyRecord;
}

function ownerOf(ctx: CopyContext, st: Deno.FileInfo): Owner {
  return ctx.preserveOwner && st.uid !== null && st.gid !== null ? { uid: st.uid, gid: st.gid } : ctx.owner;
}

const posix = {
  base: (p: string) => p.replace(/\/+$/, "").split("/").pop() || "/",
  dir: (p: string) => {
    const i = p.replace(/\/+$/, "").lastIndexOf("/");
    return i <= 0 ? "/" : p.slice(0, i);
  },
  join: (a: string, b: string) => (a.endsWith("/") ? a : a + "/") + b.replace(/^\/+/, ""),
};

/** Applies one copy action. */
export async function applyCopy(a: CopyAction, ctx: CopyContext): Promise<void> {
  const matches: { rel: string; src: string }[] = [];
  for (const src of a.src) {
    const found = selectSource(ctx.srcRoot, src, ctx.filter, a.allowWildcard);
    if (found.length === 0) {
      // BuildKit's wording (`"/missing.txt": not found`, the path cleaned from the source root), then Docker's
      // explanation of why a path that exists on disk may still be missing.
      const shown = `"/${clampSource(src)}": not found`;
      if (a.allowWildcard && hasGlob(clampSource(src))) {
        if (a.allowEmptyWildcard) continue;
        throw new FileOpError(`${ctx.what} failed: ${shown}: no source files were specified (no match for ${src})`);
      }
      throw new FileOpError(
        `${ctx.what} failed: ${shown}: file not found in build context or excluded by .dockerignore: stat ${src}: no such file or directory`,
      );
    }
    for (const rel of found) matches.push({ rel, src });
  }
  // Several matches and a destination without a trailing slash: each is copied to that path in turn (BuildKit's
  // fsutil), the last one staying; Docker's classic builder refused it.
  const walk: Walk = {
    ctx,
    excludes: new PatternMatcher(a.excludes),
    links: new Map<string, string>(),
  };
  const excludes = walk.excludes;
  const dest = a.dest || "/";
  for (const { rel, src } of matches) {
    const srcHost = rel === "." ? ctx.srcRoot : resolveInRoot(ctx.srcRoot, rel, a.followSymlinks);
    const st = lstatOrNull(srcHost);
    if (!st) {
      throw new FileOpError(`${ctx.what} failed: ${src}: source symlink points to a missing file`);
    }
    // A wildcard match that is itself excluded by --exclude is skipped (matched by its path from the source root).
    if (excludes.patterns.length && rel !== "." && (excludes.matches(rel) || excludes.matches(posix.base(rel)))) {
      continue;
    }

    const destIsExistingDir = isDirInRoot(ctx.destRoot, dest);
    const intoDir = a.destIsDir || destIsExistingDir;
    let target: string;
    if (a.parents) {
      target = posix.join(dest, parentsPath(src, rel));
    } else if (st.isDirectory && a.copyDirContents) {
      target = dest;
    } else {
      target = intoDir ? posix.join(dest, posix.base(rel)) : dest;
    }

    if (a.extractArchives && st.isFile) {
      const kind = await sniffArchive(srcHost);
      if (kind) {
        if (ctx.record) ctx.record.replayable = false;
        const dir = a.parents ? posix.dir(target) : dest;
        // BuildKit hands --chown to the unpack (v0.23 on) but never --chmod: entries keep the archive's modes.
        await extractArchive(srcHost, kind, ctx.destRoot, dir, ctx.chowned ? ctx.owner : null, null, ctx.what);
        continue;
      }
    }

    mkdirAllInRoot(ctx.destRoot, posix.dir(target), 0o755, ctx.owner, ctx.what);
    if (st.isDirectory && a.copyDirContents && !a.parents) {
      // BuildKit (fsutil's prepareTargetDir) makes the destination of a directory's contents like any parent:
      // 0755, the --chown owner, the time of the copy; the source dir's own mode and mtime are not carried over.
      mkdirAllInRoot(ctx.destRoot, target, 0o755, ctx.owner, ctx.what);
    }
    const targetHost = resolveInRoot(ctx.destRoot, target, st.isDirectory);
    // A followed destination symlink may point at a path whose parents do not exist yet (still inside the root).
    mkdirAllInRoot(ctx.destRoot, posix.dir(relToRoot(ctx.destRoot, targetHost)), 0o755, ctx.owner, ctx.what);
    copyTree(srcHost, rel, "", targetHost, target, st, walk, null);
  }
}

/** What every step of one source's copy shares. */
interface Walk {
  ctx: CopyContext;
  excludes: PatternMatcher;
  links: Map<string, string>;
}

/** With `--parents`, the source path kept under dest: everything after a `/./` pivot, else the whole path. */
function parentsPath(src: string, rel: string): string {
  const pivot = src.indexOf("/./");
  if (pivot < 0) return rel;
  const dropped = clampSource(src.slice(0, pivot)).split("/").filter((s) => s !== ".").length;
  return rel.split("/").slice(dropped).join("/") || posix.base(rel);
}

function isDirInRoot(root: string, path: string): boolean {
  try {
    return Deno.statSync(resolveInRoot(root, path, true)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Copies one entry (recursing into directories). `rootRel` is its path from the source root (for .dockerignore),
 * `copyRel` its path below the copied source (for `--exclude`); a dir's mtime is set after its children are written.
 * `made` is set when the target's parent was created by this copy: nothing can be in the way there, and a new
 * entry gets that owner by itself (the parent's, set-gid or not), so the common COPY into a new dir skips the
 * lstat, chown and chmod a file would otherwise need.
 */
function copyTree(
  srcHost: string,
  rootRel: string,
  copyRel: string,
  targetHost: string,
  shown: string,
  st: Deno.FileInfo,
  walk: Walk,
  made: Owner | null,
): void {
  const { ctx, excludes, links } = walk;
  const mode = (st.mode ?? 0o644) & 0o7777;
  if (st.isDirectory) {
    const existing = made ? null : lstatOrNull(targetHost);
    if (existing && !existing.isDirectory) {
      throw new FileOpError(`${ctx.what} failed: cannot copy directory over non-directory ${shown}`);
    }
    let childMade: Owner | null = null;
    if (!existing) {
      Deno.mkdirSync(targetHost);
      const created = Deno.lstatSync(targetHost);
      if (created.uid !== null && created.gid !== null) childMade = { uid: created.uid, gid: created.gid };
    }
    const names = [...Deno.readDirSync(srcHost)].map((e) => e.name).sort();
    for (const name of names) {
      const childRoot = rootRel === "." ? name : `${rootRel}/${name}`;
      const childCopy = copyRel === "" ? name : `${copyRel}/${name}`;
      const childHost = `${srcHost}/${name}`;
      const cst = Deno.lstatSync(childHost);
      if (
        !ctx.filter.empty && ctx.filter.excluded(childRoot) && !(cst.isDirectory && ctx.filter.mustDescend(childRoot))
      ) {
        continue;
      }
      if (excludes.patterns.length && excludes.matches(childCopy)) {
        if (!(cst.isDirectory && excludes.mayIncludeBelow(childCopy))) continue;
      }
      copyTree(childHost, childRoot, childCopy, `${targetHost}/${name}`, `${shown}/${name}`, cst, walk, childMade);
    }
    // An existing destination dir keeps its metadata; only what this copy created takes the source's.
    if (!existing || copyRel !== "") {
      setMeta(targetHost, ownerOf(ctx, st), ctx.chmod ? ctx.chmod(mode, true) : mode, st.mtime, false);
      if (ctx.record) noteCopied(ctx.record, ctx.record.dirs, rootRel, relToRoot(ctx.destRoot, targetHost));
    }
    return;
  }
  if (st.isSymlink) {
    clearForWrite(targetHost, ctx.what, shown);
    Deno.symlinkSync(Deno.readLinkSync(srcHost), targetHost);
    setMeta(targetHost, ownerOf(ctx, st), null, st.mtime, true);
    if (ctx.record) noteCopied(ctx.record, ctx.record.symlinks, rootRel, relToRoot(ctx.destRoot, targetHost));
    return;
  }
  if (!st.isFile) return; // sockets, fifos and devices are not copied (no mknod here; Docker skips sockets too)
  const owner = ownerOf(ctx, st);
  const fileMode = ctx.chmod ? ctx.chmod(mode, false) : mode;
  if (st.nlink && st.nlink > 1) {
    // Hardlinked sources are rare: copied in order, so the first path exists before its links are made.
    if (ctx.record) ctx.record.replayable = false;
    clearForWrite(targetHost, ctx.what, shown);
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first) {
      Deno.linkSync(first, targetHost);
      return;
    }
    Deno.copyFileSync(srcHost, targetHost);
    setMeta(targetHost, owner, fileMode, st.mtime, false);
    links.set(key, targetHost);
    return;
  }
  writeFile(srcHost, targetHost, shown, st, owner, fileMode, made, ctx.what);
  if (ctx.record) noteCopied(ctx.record, ctx.record.files, rootRel, relToRoot(ctx.destRoot, targetHost));
}

/**
 * Writes one regular file. copyFile sets the source's permission bits before it writes the data, and inside a
 * user namespace that write clears set-id bits (the kernel wants CAP_FSETID in the initial namespace), as chown
 * does anywhere: so chmod follows whenever either may have happened. Synchronous on purpose: creates in one dir
 * serialize on its lock anyway, and concurrent creates on this host's ext4 (no journal) each rescan the inode
 * bitmap past recently deleted inodes, which made a pool of async writes twice as slow here.
 */
function writeFile(
  srcHost: string,
  targetHost: string,
  shown: string,
  st: Deno.FileInfo,
  owner: Owner,
  mode: number,
  made: Owner | null,
  what: string,
): void {
  if (!made) clearForWrite(targetHost, what, shown);
  Deno.copyFileSync(srcHost, targetHost);
  const chown = !made || made.uid !== owner.uid || made.gid !== owner.gid;
  if (chown) Deno.chownSync(targetHost, owner.uid, owner.gid);
  if (chown || mode & 0o6000 || mode !== ((st.mode ?? 0o644) & 0o7777)) Deno.chmodSync(targetHost, mode & 0o7777);
  if (st.mtime) Deno.utimeSync(targetHost, st.mtime, st.mtime);
}
