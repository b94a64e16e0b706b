/**
 * Heredoc detection (`RUN <<EOF`, `COPY <<-"EOF" /dst`), as BuildKit's parser
 * does it: the instruction line is lexed with quotes and escapes kept, and each
 * word shaped `[fd]<<[-]NAME` starts a heredoc whose body follows the line.
 *
 * @module
 */
import type { Heredoc, Node } from "./ast.ts";
import { LineError } from "./errors.ts";
import { ShellExpansionError, ShellLex } from "../shell/mod.ts";

// `\s*`: since Dockerfile 1.16 (moby/buildkit#5817) `<< EOF` is a heredoc too; heredocsFromLine joins the two words.
const reHeredoc = /^(\d*)<<(-?)\s*([^<]*)$/;

/** Instructions whose lines may carry heredocs, and those (ONBUILD) that may wrap one. */
const heredocInstructions = new Set(["add", "copy", "run"]);
const heredocCompound = new Set(["onbuild"]);

/** Whether BuildKit looks for heredocs on this instruction: RUN/COPY/ADD (also under ONBUILD) in shell form. */
export function canContainHeredoc(node: Node): boolean {
  if (heredocCompound.has(node.value) && node.next && node.next.children.length > 0) node = node.next.children[0];
  return heredocInstructions.has(node.value) && !node.json;
}

/** Parses one word as a heredoc start; undefined when it is not one. Body content is filled in later. */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = reHeredoc.exec(word);
  if (!m || m[3] === "") return undefined;
  const lex = new ShellLex("\\");
  lex.skipUnsetEnv = true;
  // Lex the delimiter with and without quote removal: if the counts of quote
  // characters differ, part of it was quoted, and a quoted delimiter turns
  // expansion of the body off (as in sh).
  let words: string[];
  let raw: string[];
  try {
    words = lex.processWords(m[3], {});
    if (words.length !== 1) return undefined;
    lex.rawQuotes = true;
    raw = lex.processWords(m[3], {});
  } catch (e) {
    if (e instanceof ShellExpansionError) throw new LineError(e.message);
    throw e;
  }
  if (raw.length !== words.length) {
    throw new LineError(`internal lexing of heredoc produced inconsistent results: ${m[3]}`);
  }
  const quotes = (s: string) => s.split("").filter((c) => c === "'" || c === '"').length;
  return {
    name: words[0],
    content: "",
    fileDescriptor: m[1] === "" ? 0 : Number(m[1]),
    expand: quotes(words[0]) === quotes(raw[0]),
    chomp: m[2] === "-",
  };
}

/** Every heredoc started on an instruction line, in order. */
export function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex("\\");
  lex.rawQuotes = true;
  lex.rawEscapes = true;
  lex.skipUnsetEnv = true;
  let words: string[];
  try {
    words = lex.processWords(line, {});
  } catch (e) {
    // BuildKit ignores lexing errors here: such a line simply has no heredocs.
    if (e instanceof ShellExpansionError) return [];
    throw e;
  }
  const docs: Heredoc[] = [];
  for (let i = 0; i < words.length; i++) {
    // BuildKit's lexer reads `<<` and the blanks after it as part of the word that follows (`<< EOF` is one
    // word); `<<-` is not followed that way, so `<<- EOF` stays two words and no heredoc, as in BuildKit.
    const word = /^\d*<<$/.test(words[i]) && i + 1 < words.length ? words[i] + words[++i] : words[i];
    const doc = parseHeredoc(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** Removes leading tabs from every line, for `<<-` heredocs. */
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, "");
}
