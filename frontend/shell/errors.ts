import { TsbuildError } from "../../errors.ts";

/**
 * A word could not be expanded: an unterminated quote, a bad `${...}`
 * substitution, or a `${v:?message}` whose variable is unset or empty.
 */
export class ShellExpansionError extends TsbuildError {
  /** The word as written, before expansion. */
  readonly word: string;
  /** What went wrong, without the word (e.g. `syntax error: bad substitution`). */
  readonly reason: string;
  constructor(word: string, reason: string) {
    super(`failed to process ${goQuote(word)}: ${reason}`);
    this.word = word;
    this.reason = reason;
  }
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const shortEscapes: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};

/**
 * Quotes a string the way Go's `strconv.Quote` does. BuildKit's AST dumps and
 * error messages are made with it, so matching it byte for byte is what makes
 * our dumps comparable with BuildKit's `result` files.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const short = shortEscapes[ch];
    if (short !== undefined) {
      out += short;
      continue;
    }
    if (printable.test(ch)) {
      out += ch;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd"; // lone surrogate: Go sees invalid UTF-8
    else if (cp < 0x80) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + '"';
}
