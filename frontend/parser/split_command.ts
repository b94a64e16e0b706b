/**
 * Splits an instruction into keyword, `--flags` and the rest, as BuildKit's
 * `splitCommand`/`extractBuilderFlags` do.
 *
 * @module
 */
import { isSpace } from "../shell/mod.ts";

/** BuildKit's `[\t\v\f\r ]+`: the whitespace that separates arguments (not all of Unicode's). */
export const reWhitespace = /[\t\v\f\r ]+/g;

/**
 * Go's `regexp.Split(s, n)`: unlike `String.split`, a match at the very start
 * yields no empty first element, and no empty last element follows a match at the end.
 */
export function goSplit(s: string, n: number): string[] {
  if (n === 0) return [];
  if (s === "") return [""];
  const re = new RegExp(reWhitespace.source, "g");
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (n > 0 && out.length === n - 1) break;
    end = m.index;
    if (m.index + m[0].length !== 0) out.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** Go's strings.TrimSpace. */
export function trimSpace(s: string): string {
  const chars = [...s];
  let a = 0;
  let b = chars.length;
  while (a < b && isSpace(chars[a])) a++;
  while (b > a && isSpace(chars[b - 1])) b--;
  return chars.slice(a, b).join("");
}

/** Go's strings.TrimLeftFunc(s, unicode.IsSpace). */
export function trimLeftSpace(s: string): string {
  let i = 0;
  for (const ch of s) {
    if (!isSpace(ch)) break;
    i += ch.length;
  }
  return s.slice(i);
}

export interface SplitCommand {
  /** Lowercased keyword. */
  cmd: string;
  flags: string[];
  args: string;
}

/** Splits `line` into its lowercased keyword, leading `--flags` and the remaining argument text. */
export function splitCommand(line: string): SplitCommand {
  const cmdline = goSplit(trimSpace(line), 2);
  const cmd = cmdline[0].toLowerCase();
  let args = "";
  let flags: string[] = [];
  if (cmdline.length === 2) [args, flags] = extractBuilderFlags(cmdline[1]);
  return { cmd, flags, args: trimSpace(args) };
}

/**
 * Takes the words starting with `--` off the front of `line` (quotes and `\`
 * escapes inside them processed); a lone `--` ends the flags and is dropped.
 */
export function extractBuilderFlags(line: string): [string, string[]] {
  const words: string[] = [];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let word = "";
  let quote = "";
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = pos < line.length ? line[pos] : "";
    if (phase === "spaces") {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== "-" || pos + 1 === line.length || line[pos + 1] !== "-") return [line.slice(pos), words];
      phase = "word";
    }
    if (pos === line.length) {
      if (word !== "--" && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === "word") {
      if (isSpace(ch)) {
        phase = "spaces";
        if (word === "--") return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
        continue;
      }
      if (ch === "\\") {
        if (pos + 1 === line.length) continue;
        ch = line[++pos];
      }
      word += ch;
      continue;
    }
    // phase === "quote"
    if (ch === quote) {
      phase = "word";
      continue;
    }
    if (ch === "\\") {
      if (pos + 1 === line.length) {
        phase = "word";
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  return ["", words];
}
