/**
 * Ownership, mode and times on created entries, and directory creation inside a destination root.
 * `node:fs` supplies lchown/lutimes, which Deno lacks.
 * @module
 */
import { relToRoot, resolveInRoot } from "../context/mod.ts";
import { nodeFs } from "../runtime/builtins.ts";
import { FileOpError } from "./errors.ts";

/** Numeric owner of created entries. */
export interface Owner {
  uid: number;
  gid: number;
}

/** Sets owner, then permission bits (chown clears set-id bits), then mtime; symlinks get owner and times only. */
export function setMeta(host: string, owner: Owner, mode: number | null, mtime: Date | null, isSymlink: boolean): void {
  if (isSymlink) {
    nodeFs().lchownSync(host, owner.uid, owner.gid);
    if (mtime) nodeFs().lutimesSync(host, mtime, mtime);
    return;
  }
  Deno.chownSync(host, owner.uid, owner.gid);
  if (mode !== null) Deno.chmodSync(host, mode & 0o7777);
  if (mtime) Deno.utimeSync(host, mtime, mtime);
}

function lstatOrNull(p: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(p);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Creates `path` (absolute inside `root`) and its missing parents with `mode` and `owner`, resolving symlinks
 * inside the root at each step. Returns the host path. Throws when a component exists but is not a directory.
 */
export function mkdirAllInRoot(root: string, path: string, mode: number, owner: Owner, what: string): string {
  const parts = path.split("/").filter((s) => s !== "" && s !== ".");
  let host = root;
  for (let i = 0; i < parts.length; i++) {
    const prefix = "/" + parts.slice(0, i + 1).join("/");
    host = resolveInRoot(root, prefix, true);
    const st = lstatOrNull(host);
    if (st === null) {
      // A symlink followed at this step may lead to a path with several missing levels (still inside the root).
      const hostParent = host.slice(0, host.lastIndexOf("/"));
      if (hostParent.length > root.length && lstatOrNull(hostParent) === null) {
        mkdirAllInRoot(root, "/" + relToRoot(root, hostParent), mode, owner, what);
      }
      Deno.mkdirSync(host);
      setMeta(host, owner, mode, null, false);
    } else if (!st.isDirectory) {
      throw new FileOpError(`${what} failed: mkdir ${prefix}: not a directory`);
    }
  }
  return host;
}

/** Removes whatever non-directory entry is at `host` so a new one can take its place; refuses to replace a dir. */
export function clearForWrite(host: string, what: string, shown: string): void {
  const st = lstatOrNull(host);
  if (st === null) return;
  if (st.isDirectory) throw new FileOpError(`${what} failed: cannot overwrite directory ${shown} with non-directory`);
  Deno.removeSync(host);
}

export { lstatOrNull };
