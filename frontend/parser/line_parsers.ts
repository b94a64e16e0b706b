/**
 * Per-instruction argument parsing, following BuildKit's `line_parsers.go`:
 * each keyword turns its argument text into a `next` chain of argument nodes.
 * No variable expansion happens here; that is the instruction layer's job.
 *
 * @module
 */
import type { Node } from "./ast.ts";
import { LineError } from "./errors.ts";
import { goSplit, splitCommand, trimLeftSpace } from "./split_command.ts";
import { goQuote, isSpace } from "../shell/mod.ts";

/** What a line parser produces: the argument chain and whether it was the JSON form. */
interface Parsed {
  next?: Node;
  json?: boolean;
}
type LineParser = (rest: string, escapeToken: string) => Parsed;

/** Makes a node with every field at its empty value. */
export function newNode(value: string, next?: Node): Node {
  return { value, next, children: [], heredocs: [], json: false, original: "", flags: [], startLine: 0, endLine: 0 };
}

/** Links values into a `next` chain. */
function chain(values: string[]): Node | undefined {
  let head: Node | undefined;
  for (let i = values.length - 1; i >= 0; i--) head = newNode(values[i], head);
  return head;
}

/**
 * Splits on whitespace outside quotes, keeping quotes and escapes in the words
 * (they are removed later, when the words are expanded).
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = [...rest];
  let phase: "spaces" | "word" | "quote" = "spaces";
  let quote = "";
  let blankOK = false;
  let word = "";
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos] : "";
    if (phase === "spaces") {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = "word";
    }
    if (pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word);
      break;
    }
    if (phase === "word") {
      if (isSpace(ch)) {
        phase = "spaces";
        if (blankOK || word.length > 0) words.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = "quote";
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue; // an escape at the very end is dropped
        // Outside quotes the escape and the character it escapes both stay, even a quote.
        word += ch;
        ch = chars[++pos];
      }
      word += ch;
      continue;
    }
    // phase === "quote"
    if (ch === quote) phase = "word";
    // Inside '...' the escape token is an ordinary character.
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = "word";
        continue;
      }
      word += ch;
      ch = chars[++pos];
    }
    word += ch;
  }
  return words;
}

/**
 * ENV and LABEL: `name=value ...`, or the legacy `name value` when the first
 * word has no `=`. Each pair becomes a `key value sep` triple, sep being "="
 * or "" for the legacy form.
 */
function parseNameVal(rest: string, escapeToken: string, keyword: string): Parsed {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return {};
  if (!words[0].includes("=")) {
    const parts = goSplit(rest, 2);
    if (parts.length < 2) throw new LineError(`${keyword} must have two arguments`);
    return { next: chain([parts[0], parts[1], ""]) };
  }
  const values: string[] = [];
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) {
      throw new LineError(`Syntax error - can't find = in ${goQuote(word)}. Must be of the form: name=value`);
    }
    values.push(word.slice(0, eq), word.slice(eq + 1), "=");
  }
  return { next: chain(values) };
}

/** ARG: `name` or `name=value` words. */
const parseNameOrNameVal: LineParser = (rest, esc) => ({ next: chain(parseWords(rest, esc)) });

/** FROM, EXPOSE, and the shell form of COPY/ADD/VOLUME: whitespace-separated words, quotes not special. */
const parseStringsWhitespaceDelimited: LineParser = (rest) => rest === "" ? {} : { next: chain(goSplit(rest, -1)) };

/** MAINTAINER, USER, WORKDIR, STOPSIGNAL: the whole text as one argument. */
const parseString: LineParser = (rest) => rest === "" ? {} : { next: newNode(rest) };

class NotJSONArray extends Error {}

/** The exec form: a JSON array of strings; anything else that looks like JSON but is not strings is an error. */
function parseJSON(rest: string): Parsed {
  rest = trimLeftSpace(rest);
  if (!rest.startsWith("[")) throw new NotJSONArray();
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    throw new NotJSONArray();
  }
  if (!Array.isArray(parsed)) throw new NotJSONArray();
  if (!parsed.every((s) => typeof s === "string")) {
    throw new LineError("when using JSON array syntax, arrays must be comprised of strings only");
  }
  return { next: chain(parsed as string[]), json: true };
}

/** RUN, CMD, ENTRYPOINT, SHELL: the JSON form, or else the whole text as one argument. */
const parseMaybeJSON: LineParser = (rest) => {
  if (rest === "") return {};
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJSONArray)) throw e;
  }
  return { next: newNode(rest) };
};

/** COPY, ADD, VOLUME: the JSON form, or else whitespace-separated words. */
const parseMaybeJSONToList: LineParser = (rest, esc) => {
  try {
    return parseJSON(rest);
  } catch (e) {
    if (!(e instanceof NotJSONArray)) throw e;
  }
  return parseStringsWhitespaceDelimited(rest, esc);
};

/** HEALTHCHECK: a type word (`CMD`, `NONE`) followed by a RUN-like command. */
const parseHealthConfig: LineParser = (rest, esc) => {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep])) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next])) next++;
  if (sep === 0) return {};
  const cmd = parseMaybeJSON(rest.slice(next), esc);
  return { next: newNode(rest.slice(0, sep), cmd.next), json: cmd.json };
};

/** ONBUILD: the rest is a whole instruction of its own, held as the child of one argument node. */
const parseSubCommand: LineParser = (rest, esc) => {
  if (rest === "") return {};
  const holder = newNode("");
  holder.children.push(newNodeFromLine(rest, esc));
  return { next: holder };
};

/** Unknown keywords keep one empty argument, exactly as BuildKit's parseIgnore does. */
const parseIgnore: LineParser = () => ({ next: newNode("") });

const dispatch: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, esc) => parseNameVal(rest, esc, "ENV"),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, esc) => parseNameVal(rest, esc, "LABEL"),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

/** The instruction keywords BuildKit's parser knows. */
export const knownInstructions: readonly string[] = Object.keys(dispatch);

/** Parses one logical line (continuations already joined) into an instruction node. */
export function newNodeFromLine(line: string, escapeToken: string): Node {
  const { cmd, flags, args } = splitCommand(line);
  const fn = Object.hasOwn(dispatch, cmd) ? dispatch[cmd] : parseIgnore;
  const { next, json } = fn(args, escapeToken);
  const node = newNode(cmd, next);
  node.original = line;
  node.flags = flags;
  node.json = json ?? false;
  return node;
}
