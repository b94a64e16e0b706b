/**
 * Go's `filepath.Match` rules (what Docker COPY sources and `--exclude` use per path segment), as regular expressions.
 * @module
 */

/** Whether `p` holds a glob metacharacter Go's matcher interprets (`*`, `?`, `[`, or a `\` escape). */
export function hasGlob(p: string): boolean {
  return /[*?[\\]/.test(p);
}

/** Translates one Go `filepath.Match` pattern into an anchored RegExp; `*` and `?` never match `/`. */
export function globToRegExp(pattern: string): RegExp {
  return new RegExp("^" + globBody(pattern) + "$");
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? "\\" + ch : ch;
}

/** Body of the RegExp for a Go glob; an unterminated class is taken literally rather than failing the build. */
export function globBody(pattern: string): string {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "\\" && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (ch === "[") {
      const end = findClassEnd(pattern, i);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end);
      let neg = false;
      if (body.startsWith("^")) {
        neg = true;
        body = body.slice(1);
      }
      let cls = "";
      for (let j = 0; j < body.length; j++) {
        const c = body[j];
        if (c === "\\" && j + 1 < body.length) cls += "\\" + body[++j];
        else if (c === "-") cls += "-";
        else cls += /[\]\\^]/.test(c) ? "\\" + c : c;
      }
      // Go classes never match the separator, negated or not.
      re += neg ? `[^/${cls}]` : `(?!/)[${cls}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return re;
}

function findClassEnd(p: string, start: number): number {
  let j = start + 1;
  if (p[j] === "^") j++;
  if (p[j] === "]") j++; // a leading ] is literal
  for (; j < p.length; j++) {
    if (p[j] === "\\") j++;
    else if (p[j] === "]") return j;
  }
  return -1;
}

/** Go's `path.Clean` for slash paths. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(seg);
  }
  const s = (rooted ? "/" : "") + out.join("/");
  return s === "" ? "." : s;
}
