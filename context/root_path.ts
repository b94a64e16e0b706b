/**
 * Scoped path resolution: a path inside a root whose symlinks resolve as if the root were `/` (BuildKit's
 * `fs.RootPath`), so neither `..` nor a link to `/etc` can reach outside it.
 * @module
 */

const MAX_LINKS = 255;

/** Error for a symlink loop while resolving inside a root. */
export class SymlinkLoopError extends Error {}

/**
 * Resolves `path` (absolute or relative, interpreted inside `root`) to a host path under `root`.
 * Intermediate symlinks are always followed inside the root; the last component only when `followFinal`.
 * Missing components are kept as written so the result can be created.
 */
export function resolveInRoot(root: string, path: string, followFinal = true): string {
  root = root.replace(/\/+$/, "") || "/";
  const queue = path.split("/").filter((s) => s !== "" && s !== ".");
  const cur: string[] = [];
  let links = 0;
  while (queue.length) {
    const comp = queue.shift()!;
    if (comp === "..") {
      cur.pop();
      continue;
    }
    const last = queue.length === 0;
    const host = join(root, [...cur, comp]);
    if (!last || followFinal) {
      let target: string | null = null;
      try {
        if (Deno.lstatSync(host).isSymlink) target = Deno.readLinkSync(host);
      } catch {
        // missing: keep the name as written
      }
      if (target !== null) {
        if (++links > MAX_LINKS) throw new SymlinkLoopError(`too many levels of symbolic links: ${path}`);
        if (target.startsWith("/")) cur.length = 0;
        queue.unshift(...target.split("/").filter((s) => s !== "" && s !== "."));
        continue;
      }
    }
    cur.push(comp);
  }
  return join(root, cur);
}

function join(root: string, parts: string[]): string {
  if (parts.length === 0) return root;
  return (root === "/" ? "" : root) + "/" + parts.join("/");
}

/** The path of `host` relative to `root` (`.` for the root itself), `/`-separated. */
export function relToRoot(root: string, host: string): string {
  root = root.replace(/\/+$/, "");
  if (host === root) return ".";
  return host.startsWith(root + "/") ? host.slice(root.length + 1) : host;
}
