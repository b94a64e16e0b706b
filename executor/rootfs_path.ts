/**
 * Resolving paths inside a container rootfs the way the container would see them: symlinks are followed, but an
 * absolute target or `..` can never leave the rootfs (like Go's securejoin, which runc and BuildKit use). Reading
 * `/etc/passwd` of an untrusted image through a plain join could otherwise read a host file.
 */

const MAX_LINKS = 255;

/** Splits a container path into clean components (no "", ".", and ".." kept for the walker). */
function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/**
 * Returns the host path of `path` (a path as seen inside the container) within `rootfs`, following symlinks in
 * every existing component while keeping the result under `rootfs`. Missing components are appended as they are.
 */
export async function resolveInRootfs(rootfs: string, path: string): Promise<string> {
  const root = rootfs.replace(/\/+$/, "") || "/";
  const resolved: string[] = [];
  let pending = components(path);
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = hostPath(root, [...resolved, part]);
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(candidate);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.NotADirectory)) throw e;
    }
    if (info?.isSymlink) {
      if (++links > MAX_LINKS) throw new Deno.errors.FilesystemLoop(`too many symlinks resolving ${path}`);
      const target = await Deno.readLink(candidate);
      if (target.startsWith("/")) resolved.length = 0;
      pending = [...components(target), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return hostPath(root, resolved);
}

function hostPath(root: string, parts: string[]): string {
  if (parts.length === 0) return root;
  return (root === "/" ? "" : root) + "/" + parts.join("/");
}

/** Reads a text file inside the rootfs, or returns undefined when it does not exist. */
export async function readRootfsText(rootfs: string, path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(await resolveInRootfs(rootfs, path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return undefined;
    throw e;
  }
}
