/**
 * Deterministic fuzzing of the parser and the word lexer: mutated corpus
 * inputs must either parse or be rejected with a TsbuildError, never crash
 * with anything else (a TypeError, a RangeError, a regex failure) or loop.
 */
import { assert } from "../../test/util/assert.ts";
import { TsbuildError } from "../../errors.ts";
import { dumpNode, parseDockerfile, validateInstructions } from "./mod.ts";
import { ShellLex } from "../shell/mod.ts";
import { CONFORMANCE } from "../../test/util/shared_dir.ts";

const conformance = CONFORMANCE;

/** mulberry32: a tiny seeded PRNG so a failure replays exactly. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fallbackDockerfiles = [
  "# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox AS base\nRUN echo `\n  hi\n",
  'FROM a\nCOPY --from=base <<EOF <<-"END" /dst/\nx\nEOF\n\ty\n\tEND\nCMD ["sh", "-c", "echo $X"]\n',
  "FROM a\nENV A=1 B='2 3' \\\n  C=\"4\"\nLABEL k v\nHEALTHCHECK --interval=1s CMD true\nONBUILD RUN make\n",
];
const fallbackWords = ["he${XXX:-${PWD:-yyy}}xx", "'a\\'b'", '"$PWD\\"x"', "${v#*/}", "${v//a\\/b/c}", "a\\ b  c"];

function readCorpusFiles(): { dockerfiles: string[]; words: string[] } {
  try {
    const dockerfiles: string[] = [];
    for (const dir of ["buildkit-parser/testfiles/", "buildkit-parser/testfiles-negative/"]) {
      for (const e of Deno.readDirSync(new URL(dir, conformance))) {
        dockerfiles.push(Deno.readTextFileSync(new URL(`${dir}${e.name}/Dockerfile`, conformance)));
      }
    }
    const words = Deno.readTextFileSync(new URL("buildkit-shell/envVarTest", conformance)).split("\n")
      .filter((l) => l.includes("|")).map((l) => l.split("|")[1].trim());
    return { dockerfiles: dockerfiles.sort(), words };
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.log("fuzzing built-in samples only: ../shared/conformance is absent");
    return { dockerfiles: fallbackDockerfiles, words: fallbackWords };
  }
}

/** Fragments that reach the parser's and lexer's special cases. */
const tokens = [
  "\\",
  "`",
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
  '"',
  "'",
  "[",
  "]",
  "{",
  "}",
  "$",
  "${",
  ":-",
  ":+",
  ":?",
  "#",
  "##",
  "%",
  "%%",
  "/",
  "//",
  "?",
  "*",
  "=",
  "--",
  "--x=y ",
  "<<EOF",
  "<<-EOF",
  "<<'EOF'",
  '3<<"E"',
  "\nEOF\n",
  "# escape=`\n",
  "# syntax=x\n",
  "\uFEFF",
  "ONBUILD ",
  "RUN ",
  "COPY ",
  "HEALTHCHECK ",
  "ENV ",
  "\u00a0",
  "한",
  "😀",
  "\0",
  '["a", 1]',
];

function mutate(input: string, next: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  let s = input;
  const rounds = 1 + Math.floor(next() * 4);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(next() * (s.length + 1));
    const len = Math.floor(next() * 8);
    switch (Math.floor(next() * 5)) {
      case 0:
        s = s.slice(0, at) + pick(tokens) + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at, at + len).repeat(2) + s.slice(at + len);
        break;
      case 3:
        s = s.slice(0, at);
        break;
      default:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(next() * 0x300)) + s.slice(at + 1);
    }
  }
  return s;
}

/** Runs `fn`, accepting success or a TsbuildError; anything else fails with the input that caused it. */
function expectResultOrTsbuildError(input: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    assert(e instanceof TsbuildError, `non-TsbuildError ${e} for input ${JSON.stringify(input)}`);
    assert(e.message.length > 0, "error without a message");
    return false;
  }
}

const { dockerfiles, words } = readCorpusFiles();

Deno.test("fuzz: mutated Dockerfiles parse or fail with a TsbuildError", () => {
  const next = rng(0x5eed);
  let parsed = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const input = mutate(dockerfiles[i % dockerfiles.length], next);
    const ok = expectResultOrTsbuildError(input, () => {
      const result = parseDockerfile(input, { file: "fuzz/Dockerfile" });
      assert(result.dump().endsWith("\n"));
      for (const child of result.ast.children) dumpNode(child);
      validateInstructions(result.ast, "fuzz/Dockerfile");
    });
    if (ok) parsed++;
    else rejected++;
  }
  // Both outcomes must actually occur, or the mutations are not reaching the parser.
  assert(parsed > 100 && rejected > 10, `parsed ${parsed}, rejected ${rejected}`);
});

Deno.test("fuzz: mutated words expand or fail with a TsbuildError, under both escape tokens and raw modes", () => {
  const next = rng(0xbeef);
  const env = { PWD: "/home", SHELL: "bash", KOREAN: "한국어", NULL: "", v: "a/b/c.tar.gz" };
  const lexers = [new ShellLex("\\"), new ShellLex("`"), new ShellLex("\\")];
  lexers[2].rawQuotes = lexers[2].rawEscapes = lexers[2].skipUnsetEnv = true;
  let expanded = 0;
  let rejected = 0;
  for (let i = 0; i < 6000; i++) {
    const input = mutate(words[i % words.length], next);
    const lex = lexers[i % lexers.length];
    const ok = expectResultOrTsbuildError(input, () => {
      const word = lex.processWord(input, env);
      assert(typeof word === "string");
      assert(Array.isArray(lex.processWords(input, env)));
      lex.processWordWithMatches(input, env);
    });
    if (ok) expanded++;
    else rejected++;
  }
  assert(expanded > 1000 && rejected > 100, `expanded ${expanded}, rejected ${rejected}`);
});
