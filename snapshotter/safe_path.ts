import { join, normalize } from "./path.ts";
import { LayerApplyError } from "./errors.ts";

/**
 * A tar entry name as a path relative to the layer root, cleaned as if rooted: `../x`, `/x` and `./x` all become `x`,
 * so no entry name can climb out lexically. `""` is the root itself.
 */
export function cleanEntryName(name: string): string {
  return normalize("/" + name).replace(/^\/+/, "").replace(/\/+$/, "");
}

/**
 * Resolves `rel` inside `root` the way a chroot would: symlinks met on the way are followed, but an absolute target
 * or `..` never goes above `root` (like Go's securejoin). The last component is followed only with `followLast`, so
 * an entry replaces a symlink rather than writing through it. Synchronous: a layer is applied one entry at a time,
 * and a sync lstat costs a fraction of an async one.
 */
export function resolveInRoot(root: string, rel: string, followLast = false): string {
  let parts = rel.split("/").filter((p) => p !== "" && p !== ".");
  let resolved: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const p = parts.shift()!;
    if (p === "..") {
      resolved.pop();
      continue;
    }
    if (parts.length > 0 || followLast) {
      const cur = join(root, ...resolved, p);
      let info: Deno.FileInfo | undefined;
      try {
        info = Deno.lstatSync(cur);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
      }
      if (info?.isSymlink) {
        if (++links > 255) throw new LayerApplyError(`too many levels of symbolic links resolving ${rel}`);
        const target = Deno.readLinkSync(cur);
        if (target.startsWith("/")) resolved = [];
        parts = [...target.split("/").filter((t) => t !== "" && t !== "."), ...parts];
        continue;
      }
    }
    resolved.push(p);
  }
  return join(root, ...resolved);
}
