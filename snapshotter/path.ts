/** POSIX path helpers (kept local: `node:path` would need `@types/node`, which is not installed here). */

/** Joins and normalizes path parts (`..` resolved lexically). */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/** Lexical normalization: collapses `//`, `.` and `..` (never above `/` for absolute paths). */
export function normalize(path: string): string {
  const abs = path.startsWith("/");
  const out: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(p);
  }
  const s = out.join("/");
  return abs ? "/" + s : s || ".";
}

/** Everything before the last component (`.` for a bare name). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const i = trimmed.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : trimmed.slice(0, i);
}

/** The last component. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
