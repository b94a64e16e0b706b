/**
 * Shell wildcard patterns of `${v#p}`, `${v%p}` and `${v/p/r}` (`*` and `?`,
 * no bracket expressions, as BuildKit), evaluated with Go's regexp semantics.
 *
 * @module
 */

/** Thrown for a pattern that cannot be compiled; the lexer turns it into a ShellExpansionError. */
export class PatternError extends Error {}

/**
 * Converts a shell pattern to a regular expression. `\` always escapes here
 * (whatever the Dockerfile escape token), and an escape before `}` or `/` only
 * served to keep the `${...}` together, so it is dropped.
 */
export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = [...pattern];
  // Go's `.` never matches a newline; JS's also skips \r and U+2028/9, so spell it out.
  const any = "[^\\n]";
  let out = anchored ? "^" : "";
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i];
    switch (tok) {
      case "*":
        out += greedy ? `${any}*` : `${any}*?`;
        continue;
      case "?":
        out += any;
        continue;
      case "\\": {
        const peek = chars[i + 1];
        if (peek === "}" || peek === "/") continue;
        tok = chars[++i] ?? "";
        if (tok !== "*" && tok !== "?" && tok !== "\\") {
          throw new PatternError(`invalid escape '\\${tok || "EOF"}'`);
        }
        out += "\\" + tok;
        continue;
      }
      case "[":
      case "]":
      case "{":
      case "}":
      case ".":
      case "+":
      case "(":
      case ")":
      case "|":
      case "^":
      case "$":
        out += "\\" + tok;
        continue;
      case "/":
        out += "\\/";
        continue;
    }
    out += tok;
  }
  return new RegExp(out, global ? "gu" : "u");
}

/** `${value#pattern}` / `${value##pattern}`: strip the shortest / longest matching prefix. */
export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverses a pattern but keeps each escape before the character it escapes (`a\*c` → `c\*a`). */
function reversePattern(pattern: string): string {
  const runes = [...pattern];
  const out: string[] = new Array(runes.length);
  const last = runes.length - 1;
  for (let i = 0; i <= last;) {
    const tok = runes[i];
    const at = last - i;
    if (tok === "\\" && i !== last) {
      out[at - 1] = tok;
      out[at] = runes[i + 1];
      i += 2;
    } else {
      out[at] = tok;
      i++;
    }
  }
  return out.join("");
}

const reverse = (s: string): string => [...s].reverse().join("");

/**
 * `${value%pattern}` / `${value%%pattern}`. Regular expressions cannot find
 * the shortest rightmost match, so both sides are reversed into a prefix search.
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/** `${value/pattern/replacement}` and, with `all`, `${value//pattern/replacement}` (greedy, unanchored). */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  if (!all) {
    // Go splices the replacement in literally here: no `$1` expansion.
    const m = shellPatternToRegExp(pattern, true, false).exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }
  return goReplaceAll(shellPatternToRegExp(pattern, true, false, true), value, replacement);
}

/**
 * Go's `Regexp.ReplaceAllString`: an empty match right after the previous
 * match is skipped (JS would replace it) and `$name` in the replacement is
 * expanded Go's way.
 */
function goReplaceAll(re: RegExp, src: string, repl: string): string {
  let out = "";
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    re.lastIndex = searchPos;
    const m = re.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += goExpand(repl, m[0]);
    lastMatchEnd = end;
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 1 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

/** Go's template expansion for a pattern without groups: `$$` → `$`, `$0`/`${0}` → the match, other names → "". */
function goExpand(template: string, match: string): string {
  let out = "";
  let rest = template;
  for (;;) {
    const at = rest.indexOf("$");
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith("$")) {
      out += "$";
      rest = rest.slice(1);
      continue;
    }
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = braced ? null : /^[A-Za-z0-9_]+/.exec(rest);
    if (!braced && !bare) {
      out += "$";
      continue;
    }
    const name = braced ? braced[1] : bare![0];
    rest = rest.slice((braced ?? bare)![0].length);
    if (name === "0") out += match; // Go rejects leading zeros, so "00" is a (missing) named group
  }
  return out + rest;
}
