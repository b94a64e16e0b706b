/**
 * Mount points runc has to create in the rootfs (/proc, /dev, /etc/hosts, bind targets and their parents) must not
 * reach the layer diff. Like BuildKit's MountStubsCleaner: note what is missing before the run, and afterwards
 * remove each still-empty stub (deepest first), restoring its parent's times so the diff sees no change.
 */
import { resolveInRootfs } from "./rootfs_path.ts";

function isMissing(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
}

/** Container paths (deepest first) of `destinations` and their parents that do not exist in `rootfs`. */
export async function findMissingStubs(rootfs: string, destinations: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const dest of destinations) {
    let p = "/" + dest.split("/").filter((c) => c !== "" && c !== ".").join("/");
    while (p !== "/") {
      try {
        await Deno.lstat(await resolveInRootfs(rootfs, p));
        break;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      if (!missing.includes(p)) missing.push(p);
      p = p.slice(0, p.lastIndexOf("/")) || "/";
    }
  }
  // Children before parents, so a parent is empty by the time it is considered.
  return missing.sort((a, b) => b.split("/").length - a.split("/").length);
}

/** Removes the stubs in `paths` that are still empty; content the RUN put there is kept. */
export async function removeStubs(rootfs: string, paths: string[]): Promise<void> {
  for (const p of paths) {
    const host = await resolveInRootfs(rootfs, p);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(host);
    } catch (e) {
      if (isMissing(e)) continue;
      throw e;
    }
    if (info.isDirectory) {
      let empty = true;
      for await (const _ of Deno.readDir(host)) {
        empty = false;
        break;
      }
      if (!empty) continue;
    } else if (!info.isFile || info.size !== 0) continue;
    const parent = host.slice(0, host.lastIndexOf("/")) || "/";
    const parentInfo = await Deno.lstat(parent);
    await Deno.remove(host);
    if (parentInfo.atime && parentInfo.mtime) await Deno.utime(parent, parentInfo.atime, parentInfo.mtime);
  }
}
