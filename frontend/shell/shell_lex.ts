/**
 * Dockerfile word expansion: quotes, escapes and `$var` / `${var...}`
 * substitution with BuildKit's semantics (frontend/dockerfile/shell/lex.go).
 *
 * @module
 */
import { ShellExpansionError } from "./errors.ts";
import { PatternError, replacePattern, trimPrefix, trimSuffix } from "./pattern.ts";

/** Which character escapes: `\` by default, `` ` `` after `# escape=``. */
export type EscapeToken = "\\" | "`";

/** Result of {@link ShellLex.processWordWithMatches}. */
export interface WordMatches {
  result: string;
  /** Variables the word referenced that were set. */
  matched: Set<string>;
  /** Variables the word referenced that were not set (for "undefined variable" lints). */
  unmatched: Set<string>;
}

const EOF = "";

/** Go's unicode.IsSpace. */
export function isSpace(ch: string): boolean {
  return /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/.test(ch);
}
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isLetter = (ch: string) => /^\p{L}$/u.test(ch);
const isSpecialParam = (ch: string) => "@*#?-$!0".includes(ch) && ch !== EOF;

/** Internal failure carrying only the reason; turned into ShellExpansionError with the word. */
class Failure extends Error {}

/** Accumulates the word-split view of a word alongside its joined result. */
class Words {
  words: string[] = [];
  buf = "";
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = "";
        this.inWord = false;
      }
    } else if (!isSpace(ch)) {
      this.addRawChar(ch);
    }
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(str: string): void {
    for (const ch of str) this.addChar(ch);
  }
  addRawString(str: string): void {
    this.buf += str;
    this.inWord = true;
  }
  get(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
    return this.words;
  }
}

/**
 * Expands words the way BuildKit's `shell.Lex` does. The option fields exist
 * for the parser's heredoc detection, which needs quotes and escapes kept and
 * unset variables left untouched.
 */
export class ShellLex {
  readonly escapeToken: EscapeToken;
  /** Keep quote characters in the result. */
  rawQuotes = false;
  /** Keep escape characters in the result. */
  rawEscapes = false;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes = false;
  /** Leave references to unset variables as written (`$x`, `${x:-y}`). */
  skipUnsetEnv = false;

  constructor(escapeToken: EscapeToken = "\\") {
    if (escapeToken !== "\\" && escapeToken !== "`") {
      throw new ShellExpansionError(String(escapeToken), "escape token must be \\ or `");
    }
    this.escapeToken = escapeToken;
  }

  /** Expands `word` into one string (spaces between words kept). */
  processWord(word: string, env: Record<string, string>): string {
    return this.#run(word, env).result;
  }

  /** Expands `word` and splits it into words after substitution, honouring quotes. */
  processWords(word: string, env: Record<string, string>): string[] {
    return this.#run(word, env).words;
  }

  /** Like processWord, also reporting which variables were found and which were not. */
  processWordWithMatches(word: string, env: Record<string, string>): WordMatches {
    const { result, matched, unmatched } = this.#run(word, env);
    return { result, matched, unmatched };
  }

  #run(word: string, env: Record<string, string>) {
    const sw = new ShellWord(this, [...word], env);
    try {
      const [result, words] = sw.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: sw.matched, unmatched: sw.unmatched };
    } catch (e) {
      if (e instanceof Failure) throw new ShellExpansionError(word, e.message);
      throw e;
    }
  }
}

/** The state of expanding one word. */
class ShellWord {
  #pos = 0;
  rawEscapes: boolean;
  matched = new Set<string>();
  unmatched = new Set<string>();

  constructor(readonly lex: ShellLex, readonly chars: string[], readonly env: Record<string, string>) {
    this.rawEscapes = lex.rawEscapes;
  }

  peek(): string {
    return this.chars[this.#pos] ?? EOF;
  }
  next(): string {
    const ch = this.chars[this.#pos] ?? EOF;
    if (ch !== EOF) this.#pos++;
    return ch;
  }

  getEnv(name: string): string | undefined {
    if (Object.hasOwn(this.env, name)) {
      this.matched.add(name);
      return this.env[name];
    }
    this.unmatched.add(name);
    return undefined;
  }

  /** Processes up to `stopChar` (consumed) or the end; returns the joined result and the words. */
  processStopOn(stopChar: string, rawEscapes: boolean): [string, string[]] {
    let result = "";
    const words = new Words();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    const esc = this.lex.escapeToken;
    try {
      while (this.peek() !== EOF) {
        let ch = this.peek();
        if (stopChar !== EOF && ch === stopChar) {
          this.next();
          return [result, words.get()];
        }
        if (ch === "$") {
          const tmp = this.processDollar();
          result += tmp;
          words.addString(tmp);
          continue;
        }
        if (!this.lex.skipProcessQuotes && (ch === "'" || ch === '"')) {
          const tmp = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += tmp;
          words.addRawString(tmp);
          continue;
        }
        ch = this.next();
        if (ch === esc) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += ch;
          }
          // An escape escapes anything, except that one at the very end is dropped.
          ch = this.next();
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += ch;
      }
      if (stopChar !== EOF) throw new Failure(`unexpected end of statement while looking for matching ${stopChar}`);
      return [result, words.get()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  processSingleQuote(): string {
    // Everything up to the next ' is literal; ' itself cannot be escaped.
    let result = "";
    const open = this.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new Failure("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") {
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  processDoubleQuote(): string {
    // Literal except `$`; the escape token only escapes `"`, `$` and itself (as sh does for \).
    let result = "";
    const esc = this.lex.escapeToken;
    const open = this.next();
    if (this.lex.rawQuotes) result += open;
    for (;;) {
      const peek = this.peek();
      if (peek === EOF) throw new Failure("unexpected end of statement while looking for matching double-quote");
      if (peek === '"') {
        const ch = this.next();
        if (this.lex.rawQuotes) result += ch;
        return result;
      }
      if (peek === "$") {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === esc) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === "$" || after === esc) ch = this.next();
      }
      result += ch;
    }
  }

  processDollar(): string {
    this.next();
    if (this.peek() !== "{") {
      const name = this.processName();
      if (name === "") return "$";
      const value = this.getEnv(name);
      if (value === undefined && this.lex.skipUnsetEnv) return "$" + name;
      return value ?? "";
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new Failure("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new Failure("syntax error: bad substitution");
    const name = this.processName();
    const ch = this.next();
    switch (ch) {
      case "}": {
        const value = this.getEnv(name);
        if (value === undefined && this.lex.skipUnsetEnv) return `\${${name}}`;
        return value ?? "";
      }
      case ":":
      case "+":
      case "-":
      case "?":
      case "#":
      case "%":
        return this.processModifier(name, ch, ch);
      case "/":
        return this.processReplace(name);
      default:
        throw new Failure(`unsupported modifier (${ch}) in substitution`);
    }
  }

  /** `${name:-w}` `${name-w}` `${name:+w}` `${name+w}` `${name:?w}` `${name?w}` `${name#p}` `${name%p}` (and doubled). */
  processModifier(name: string, ch: string, chs: string): string {
    let nullIsUnset = false;
    if (ch === ":") {
      nullIsUnset = true;
      ch = this.next();
      chs += ch;
    }
    // Patterns keep their escapes so that `\*` stays a literal star.
    const rawEscapes = ch === "#" || ch === "%";
    if (nullIsUnset && rawEscapes) throw new Failure(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      [word] = this.processStopOn("}", rawEscapes);
    } catch (e) {
      if (e instanceof Failure && this.peek() === EOF) throw new Failure("syntax error: missing '}'");
      throw e;
    }
    const value = this.getEnv(name);
    const set = value !== undefined;
    if (this.lex.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    const empty = !set || (nullIsUnset && value === "");
    switch (ch) {
      case "-":
        return empty ? word : value!;
      case "+":
        return empty ? "" : word;
      case "?":
        if (!set) throw new Failure(`${name}: ${word || "is not allowed to be unset"}`);
        if (nullIsUnset && value === "") throw new Failure(`${name}: ${word || "is not allowed to be empty"}`);
        return value!;
      case "%":
      case "#": {
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        try {
          return ch === "%" ? trimSuffix(pattern, value ?? "", greedy) : trimPrefix(pattern, value ?? "", greedy);
        } catch (e) {
          throw this.patternFailure(pattern, e);
        }
      }
      default:
        throw new Failure(`unsupported modifier (${chs}) in substitution`);
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
  processReplace(name: string): string {
    const all = this.peek() === "/";
    if (all) this.next();
    let pattern: string;
    let replacement: string;
    try {
      [pattern] = this.processStopOn("/", true);
    } catch (e) {
      if (e instanceof Failure && this.peek() === EOF) throw new Failure("syntax error: missing '/' in ${}");
      throw e;
    }
    try {
      [replacement] = this.processStopOn("}", true);
    } catch (e) {
      if (e instanceof Failure && this.peek() === EOF) throw new Failure("syntax error: missing '}'");
      throw e;
    }
    const value = this.getEnv(name);
    if (this.lex.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
    try {
      return replacePattern(value ?? "", pattern, replacement, all);
    } catch (e) {
      throw this.patternFailure(pattern, e);
    }
  }

  patternFailure(pattern: string, e: unknown): Failure {
    if (e instanceof PatternError || e instanceof SyntaxError) {
      return new Failure(`invalid pattern (${pattern}) in substitution: ${e.message}`);
    }
    throw e;
  }

  /** A variable name: letters, digits and `_`; all digits (`$10`); or one special parameter (`$@`). */
  processName(): string {
    let name = "";
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== "_") break;
      name += this.next();
    }
    return name;
  }
}
