import { assertEquals, assertStringIncludes } from "../../test/util/assert.ts";
import { ShellExpansionError } from "./errors.ts";
import { ShellLex } from "./shell_lex.ts";
import { CONFORMANCE, mayLackCorpus } from "../../test/util/shared_dir.ts";

/** Returns what `fn` threw, failing unless it threw an instance of `cls` whose message includes `part`. */
function assertThrows<E extends Error>(fn: () => unknown, cls: new (...a: any[]) => E, part = ""): E {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    assertStringIncludes(e.message, part);
    return e;
  }
  throw new Error(`expected ${cls.name} to be thrown`);
}

const corpus = new URL("buildkit-shell/", CONFORMANCE);

function readCorpus(name: string): string | undefined {
  try {
    return Deno.readTextFileSync(new URL(name, corpus));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** Expands one word, mapping a rejection to the corpus's `error` marker. */
function expand(fn: () => string | string[]): string | string[] {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ShellExpansionError) return "error";
    throw e;
  }
}

const envVarTest = readCorpus("envVarTest");
Deno.test({
  name: "conformance: every A and U line of BuildKit's envVarTest",
  ignore: envVarTest === undefined && mayLackCorpus,
  fn() {
    const env = { PWD: "/home", SHELL: "bash", KOREAN: "한국어", NULL: "" };
    const lex = new ShellLex("\\");
    let checked = 0;
    for (const line of envVarTest!.split("\n")) {
      const trimmed = line.trim();
      if (trimmed === "" || trimmed.startsWith("#")) continue;
      const [platform, source, expected] = line.split("|").map((s) => s.trim());
      if (platform !== "A" && platform !== "U") continue;
      assertEquals(expand(() => lex.processWord(source, env)), expected, `envVarTest: ${line}`);
      checked++;
    }
    assertEquals(checked > 200, true, `only ${checked} cases read`);
  },
});
if (envVarTest === undefined) console.log("skipping envVarTest: ../shared/conformance is absent");

const wordsTest = readCorpus("wordsTest");
Deno.test({
  name: "conformance: every line of BuildKit's wordsTest",
  ignore: wordsTest === undefined && mayLackCorpus,
  fn() {
    const env: Record<string, string> = {};
    const lex = new ShellLex("\\");
    let checked = 0;
    for (const line of wordsTest!.split("\n")) {
      if (line.startsWith("#") || line.trim() === "") continue;
      if (line.startsWith("ENV ")) {
        const kv = line.slice(4).replace(/^ +/, "");
        const eq = kv.indexOf("=");
        env[kv.slice(0, eq)] = kv.slice(eq + 1);
        continue;
      }
      const [input, output] = line.split("|");
      const expected = output.replace(/^ +/, "");
      const got = expand(() => lex.processWords(input.trim(), env));
      assertEquals(got === "error" ? "error" : (got as string[]).join(","), expected, `wordsTest: ${line}`);
      checked++;
    }
    assertEquals(checked > 20, true, `only ${checked} cases read`);
  },
});
if (wordsTest === undefined) console.log("skipping wordsTest: ../shared/conformance is absent");

Deno.test("unset-vs-empty modifiers: - + ? with and without the colon", () => {
  const lex = new ShellLex();
  const env = { E: "", V: "val" };
  const cases: [string, string][] = [
    ["${E-def}", ""],
    ["${E:-def}", "def"],
    ["${U-def}", "def"],
    ["${V-def}", "val"],
    ["${E+alt}", "alt"],
    ["${E:+alt}", ""],
    ["${U+alt}", ""],
    ["${V:+alt}", "alt"],
    ["${E?}", ""],
    ["${V:?}", "val"],
  ];
  for (const [word, want] of cases) assertEquals(lex.processWord(word, env), want, word);
  const unset = assertThrows(() => lex.processWord("${U:?please set U}", env), ShellExpansionError);
  assertEquals(unset.message, 'failed to process "${U:?please set U}": U: please set U');
  const empty = assertThrows(() => lex.processWord("${E:?}", env), ShellExpansionError);
  assertEquals(empty.message, 'failed to process "${E:?}": E: is not allowed to be empty');
  assertThrows(() => lex.processWord("${U?}", env), ShellExpansionError, "U: is not allowed to be unset");
});

Deno.test("prefix and suffix removal, shortest and longest", () => {
  const lex = new ShellLex();
  const env = { F: "archive.tar.gz", P: "/usr/local/bin", S: "a*b*c" };
  const cases: [string, string][] = [
    ["${F#*.}", "tar.gz"],
    ["${F##*.}", "gz"],
    ["${F%.*}", "archive.tar"],
    ["${F%%.*}", "archive"],
    ["${P#/usr}", "/local/bin"],
    ["${P%/*}", "/usr/local"],
    ["${P##*/}", "bin"],
    ["${F#nomatch}", "archive.tar.gz"],
    ["${F#?r}", "chive.tar.gz"],
    ["${S#a\\*}", "b*c"],
    ["${S%\\**}", "a*b"],
    ["${S%%\\**}", "a"],
    ["${U#x}", ""],
  ];
  for (const [word, want] of cases) assertEquals(lex.processWord(word, env), want, word);
  assertThrows(() => lex.processWord("${F:#x}", env), ShellExpansionError, "unsupported modifier (:#)");
});

Deno.test("pattern replacement, first and all", () => {
  const lex = new ShellLex();
  const env = { V: "a-b-c", P: "x/y/z", D: "cost" };
  const cases: [string, string][] = [
    ["${V/-/_}", "a_b-c"],
    ["${V//-/_}", "a_b_c"],
    ["${V//?/x}", "xxxxx"],
    ["${V/b*/Z}", "a-Z"],
    ["${P//\\//:}", "x:y:z"],
    ["${V//-/}", "abc"],
    ["${V/q/r}", "a-b-c"],
    ["${V//*/x}", "x"], // Go skips the empty match after a full match; JS's replace would give "xx"
    // The replacement keeps its escapes and, for `//`, Go expands `$0` to the match.
    ["${D//o/\\$0}", "c\\ost"],
    ["${D/o/\\$0}", "c\\$0st"],
  ];
  for (const [word, want] of cases) assertEquals(lex.processWord(word, env), want, word);
  assertThrows(() => lex.processWord("${V/a", env), ShellExpansionError, "missing '/'");
  // Unlike bash, BuildKit requires the second slash even for an empty replacement.
  assertThrows(() => lex.processWord("${V//-}", env), ShellExpansionError, "missing '/'");
  assertThrows(() => lex.processWord("${V/a/b", env), ShellExpansionError, "missing '}'");
});

Deno.test("backtick escape token: backslash is literal, backtick escapes", () => {
  const lex = new ShellLex("`");
  const env = { PWD: "/home" };
  assertEquals(lex.processWord("C:\\path\\$PWD", env), "C:\\path\\/home");
  assertEquals(lex.processWord("a`$PWD", env), "a$PWD");
  assertEquals(lex.processWord('"say `"hi`""', env), 'say "hi"');
  assertEquals(lex.processWord('"keep `t"', env), "keep `t");
  assertEquals(lex.processWords("one` two three", env), ["one two", "three"]);
  assertEquals(lex.processWord("end`", env), "end");
});

Deno.test("matched and unmatched variables are reported", () => {
  const lex = new ShellLex();
  const r = lex.processWordWithMatches("$A ${B:-x} ${C} $A", { A: "1", C: "" });
  assertEquals(r.result, "1 x  1");
  assertEquals([...r.matched].sort(), ["A", "C"]);
  assertEquals([...r.unmatched], ["B"]);
});

Deno.test("raw options keep quotes, escapes and unset references (heredoc detection mode)", () => {
  const lex = new ShellLex();
  lex.rawQuotes = true;
  lex.rawEscapes = true;
  lex.skipUnsetEnv = true;
  assertEquals(lex.processWords(`RUN <<"EOF" cat \\$x $y \${z:-d}`, {}), [
    "RUN",
    `<<"EOF"`,
    "cat",
    "\\$x",
    "$y",
    "${z:-d}",
  ]);
});
