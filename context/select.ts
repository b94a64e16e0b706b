/**
 * What a COPY/ADD source selects in a source root: cleaned, clamped to the root, glob-expanded per segment with
 * Go `filepath.Match` rules, with excluded paths treated as absent.
 * @module
 */
import { ContextFilter } from "./filter.ts";
import { cleanPath, globToRegExp, hasGlob } from "./glob.ts";
import { resolveInRoot } from "./root_path.ts";

/** Clamps a source path to the root: `../x` and `/x` both mean `x`; the root itself is `.`. */
export function clampSource(src: string): string {
  const c = cleanPath("/" + src);
  return c === "/" ? "." : c.slice(1);
}

/** Whether `rel` is visible through `filter` (an excluded dir stays visible when negations may re-include below). */
export function visible(filter: ContextFilter, rel: string, isDir: boolean): boolean {
  if (rel === "." || filter.empty) return true;
  if (!filter.excluded(rel)) return true;
  return isDir && filter.mustDescend(rel);
}

/**
 * Expands one source to the root-relative paths it names (sorted). Returns `[]` when nothing matches; a plain path
 * that is missing or excluded also yields `[]` so callers can report it as Docker does.
 */
export function selectSource(root: string, src: string, filter: ContextFilter, allowWildcard: boolean): string[] {
  const rel = clampSource(src);
  if (!allowWildcard || !hasGlob(rel)) {
    if (rel === ".") return ["."];
    const host = resolveInRoot(root, rel, false);
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(host);
    } catch {
      return [];
    }
    return visible(filter, rel, st.isDirectory || isDirLink(host, st)) ? [rel] : [];
  }
  let partial: string[] = ["."];
  const segs = rel.split("/");
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    const next: string[] = [];
    for (const base of partial) {
      const child = (name: string) => base === "." ? name : `${base}/${name}`;
      if (!hasGlob(seg)) {
        const c = child(seg);
        try {
          const st = Deno.lstatSync(resolveInRoot(root, c, false));
          if (last || st.isDirectory || st.isSymlink) next.push(c);
        } catch { /* absent */ }
        continue;
      }
      const re = globToRegExp(seg);
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(resolveInRoot(root, base, true))];
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!re.test(e.name)) continue;
        if (!last && !(e.isDirectory || e.isSymlink)) continue;
        next.push(child(e.name));
      }
    }
    partial = next;
  });
  return partial.filter((r) => {
    let dir = false;
    try {
      dir = Deno.statSync(resolveInRoot(root, r, true)).isDirectory;
    } catch { /* dangling link */ }
    return visible(filter, r, dir);
  }).sort();
}

function isDirLink(host: string, st: Deno.FileInfo): boolean {
  if (!st.isSymlink) return false;
  try {
    return Deno.statSync(host).isDirectory;
  } catch {
    return false;
  }
}
