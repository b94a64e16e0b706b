/**
 * Mount points runc has to create in the rootfs (/proc, /dev, /etc/hosts, bind targets and their parents) must not
 * reach the layer diff. Like BuildKit's MountStubsCleaner: note what is missing before the run, and afterwards
 * remove each still-empty stub (deepest first), restoring its parent's times so the diff sees no change.
 */
import { resolveInRootfs } from "./rootfs_path.ts";

function isMissing(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
}

/** Stubs a run will create: container paths, deepest first, and the times of the dirs they will be created in. */
export interface MountStubs {
  paths: string[];
  parentTimes: Map<string, { atime: Date; mtime: Date }>;
}

/** Finds the `destinations` (and their parents) that do not exist in `rootfs`, before runc creates them. */
export async function findMissingStubs(rootfs: string, destinations: string[]): Promise<MountStubs> {
  const missing: string[] = [];
  const parentTimes = new Map<string, { atime: Date; mtime: Date }>();
  for (const dest of destinations) {
    // Walk up from where runc will really create the mount point: a destination that is a dangling symlink (an
    // image's /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) makes runc create the link's target and
    // its missing parents, which must go too (as BuildKit, which resolves the path in the rootfs first).
    const start = await resolvedContainerPath(rootfs, dest);
    let p = start;
    while (p !== "/") {
      try {
        const info = await Deno.lstat(await resolveInRootfs(rootfs, p));
        if (p !== start && info.atime && info.mtime) parentTimes.set(p, { atime: info.atime, mtime: info.mtime });
        break;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      if (!missing.includes(p)) missing.push(p);
      p = p.slice(0, p.lastIndexOf("/")) || "/";
      if (p === "/") {
        const info = await Deno.lstat(rootfs);
        if (info.atime && info.mtime) parentTimes.set("/", { atime: info.atime, mtime: info.mtime });
      }
    }
  }
  // Children before parents, so a parent is empty by the time it is considered.
  return { paths: missing.sort((a, b) => b.split("/").length - a.split("/").length), parentTimes };
}

/** `dest` with every symlink in it followed inside `rootfs`, as a clean container path. */
async function resolvedContainerPath(rootfs: string, dest: string): Promise<string> {
  const root = rootfs.replace(/\/+$/, "");
  const host = await resolveInRootfs(rootfs, dest);
  const rel = host === root ? "" : host.slice(root.length);
  return "/" + rel.split("/").filter((c) => c !== "" && c !== ".").join("/");
}

/**
 * Removes the stubs that are still empty (content the RUN put there is kept), then gives the dirs they were made in
 * their times from before the run, so creating and removing a stub leaves no trace in the diff.
 */
export async function removeStubs(rootfs: string, stubs: MountStubs): Promise<void> {
  for (const p of stubs.paths) {
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
    await Deno.remove(host).catch((e) => {
      if (!isMissing(e)) throw e;
    });
  }
  for (const [p, t] of stubs.parentTimes) {
    await Deno.utime(await resolveInRootfs(rootfs, p), t.atime, t.mtime).catch((e) => {
      if (!isMissing(e)) throw e;
    });
  }
}
