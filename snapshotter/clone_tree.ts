/**
 * A hardlinked clone of a committed snapshot's own tree: directories and symlinks are made anew with the same
 * owner, mode and mtime; regular files are hard links to the same inodes (content, owner, mode, mtime and xattrs
 * shared). Creating links allocates no inodes, which is what a copy of many small files pays for on ext4.
 * Committed trees are never written in place (overlay lowers are read-only; the native snapshotter is never
 * cloned), so sharing inodes between two of them is safe as long as a clone replaces a file rather than editing it.
 * @module
 */
import { lchownSync, lutimesSync } from "./node.ts";
import { readXattrs } from "./xattr.ts";

const OVERLAY_XATTR = /^(trusted|user)\.(overlay|fuseoverlayfs)\./;

/** Why a tree could not be cloned (it holds something a clone would not reproduce). */
export class CloneRefusedError extends Error {}

/**
 * Clones `src` into the existing, empty directory `dst` and returns how many entries below `src` it made.
 * Throws {@link CloneRefusedError} when `src` holds anything other than dirs, files and symlinks, or a dir or
 * symlink with extended attributes of its own (overlay's bookkeeping ones aside): the caller copies instead.
 */
export async function cloneTree(src: string, dst: string): Promise<number> {
  for (const [path, attrs] of await readXattrs(src)) {
    if (!Object.keys(attrs).some((k) => !OVERLAY_XATTR.test(k))) continue;
    const st = Deno.lstatSync(path);
    if (!st.isFile) throw new CloneRefusedError(`${path} has extended attributes`);
  }
  const count = cloneDir(src, dst);
  copyMeta(Deno.lstatSync(src), dst);
  return count;
}

function cloneDir(src: string, dst: string): number {
  let count = 0;
  for (const e of Deno.readDirSync(src)) {
    const from = `${src}/${e.name}`, to = `${dst}/${e.name}`;
    count++;
    // A file needs no lstat: the link shares its inode, metadata and all (readdir already says it is a file).
    if (e.isFile) {
      Deno.linkSync(from, to);
      continue;
    }
    const st = Deno.lstatSync(from);
    if (st.isFile) {
      Deno.linkSync(from, to);
    } else if (st.isDirectory) {
      Deno.mkdirSync(to);
      count += cloneDir(from, to);
      copyMeta(st, to);
    } else if (st.isSymlink) {
      Deno.symlinkSync(Deno.readLinkSync(from), to);
      lchownSync(to, st.uid ?? 0, st.gid ?? 0);
      if (st.mtime) lutimesSync(to, st.mtime, st.mtime);
    } else {
      throw new CloneRefusedError(`${from} is not a file, directory or symlink`);
    }
  }
  return count;
}

/** A directory's owner, mode and mtime (set after its entries were made, which moved its mtime). */
function copyMeta(st: Deno.FileInfo, to: string): void {
  Deno.chownSync(to, st.uid ?? 0, st.gid ?? 0);
  Deno.chmodSync(to, (st.mode ?? 0o755) & 0o7777);
  if (st.mtime) Deno.utimeSync(to, st.atime ?? st.mtime, st.mtime);
}

/** How many entries are below `dir` (what `cloneTree` returns for it). */
export function countEntries(dir: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(dir)) {
    n++;
    if (e.isDirectory) n += countEntries(`${dir}/${e.name}`);
  }
  return n;
}
