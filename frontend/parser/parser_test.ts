import { assert, assertEquals, assertStringIncludes } from "../../test/util/assert.ts";
import { DockerfileParseError, parseDockerfile, validateInstructions } from "./mod.ts";
import { CONFORMANCE, mayLackCorpus } from "../../test/util/shared_dir.ts";

const corpus = new URL("buildkit-parser/", CONFORMANCE);
const haveCorpus = (() => {
  try {
    return Deno.statSync(corpus).isDirectory;
  } catch {
    return false;
  }
})();
if (!haveCorpus) {
  console.log(`skipping BuildKit parser conformance: ${corpus.pathname} is absent (set TSBUILD_SHARED_DIR)`);
}

function cases(dir: string): string[] {
  return [...Deno.readDirSync(new URL(dir, corpus))].filter((e) => e.isDirectory).map((e) => e.name).sort();
}
const read = (path: string) => Deno.readTextFileSync(new URL(path, corpus));

/** Returns the DockerfileParseError that parsing `source` throws, failing if it parses. */
function parseError(source: string, file = "Dockerfile"): DockerfileParseError {
  try {
    const result = parseDockerfile(source, { file });
    validateInstructions(result.ast, file);
  } catch (e) {
    if (e instanceof DockerfileParseError) return e;
    throw e;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(source)}`);
}

Deno.test({
  name: "conformance: every BuildKit testfiles/*/result reproduced byte for byte",
  ignore: !haveCorpus && mayLackCorpus,
  fn() {
    const names = cases("testfiles/");
    assertEquals(names.length, 33);
    for (const name of names) {
      const result = parseDockerfile(read(`testfiles/${name}/Dockerfile`), { file: `${name}/Dockerfile` });
      assertEquals(result.dump(), read(`testfiles/${name}/result`), name);
    }
  },
});

Deno.test({
  name: "conformance: every BuildKit testfiles-negative case is rejected",
  ignore: !haveCorpus && mayLackCorpus,
  fn() {
    const names = cases("testfiles-negative/");
    assert(names.length >= 4, `only ${names.length} negative cases`);
    for (const name of names) {
      const err = parseError(read(`testfiles-negative/${name}/Dockerfile`), `${name}/Dockerfile`);
      assertStringIncludes(err.message, `${name}/Dockerfile:`, name);
    }
  },
});

Deno.test({
  name: "conformance: testfile-line start and end lines (BuildKit's TestParseIncludesLineNumbers)",
  ignore: !haveCorpus && mayLackCorpus,
  fn() {
    const { ast } = parseDockerfile(read("testfile-line/Dockerfile"));
    assertEquals([ast.startLine, ast.endLine], [5, 31]);
    assertEquals(ast.children.map((c) => [c.startLine, c.endLine]), [[5, 5], [11, 12], [17, 31]]);
  },
});

Deno.test("heredocs: names, fds, chomping, quoting, several per line, only on RUN/COPY/ADD", () => {
  const source = [
    "FROM alpine:3.6",
    "USER <<INVALID",
    "INVALID",
    "RUN <<EMPTY",
    "EMPTY",
    "RUN 3<<EMPTY2",
    "EMPTY2",
    'RUN "<<NOHEREDOC"',
    "RUN <<INDENT",
    "\tfoo",
    "\tbar",
    "INDENT",
    "RUN <<-UNINDENT",
    "\tbaz",
    "\tquux",
    "\tUNINDENT",
    "RUN <<-'NOEXPAND'",
    "\tdon't expand $NAME",
    "NOEXPAND",
    'RUN <<"EOF" python3',
    "# not a comment here",
    "EOF",
    "RUN --mount=type=cache,target=/foo <<MOUNT",
    "echo hello",
    "MOUNT",
    "COPY <<X <<Y /dest",
    "Y",
    "X",
    "X",
    "Y",
    'RUN ["<<EOF"]',
    "ONBUILD ADD <<A /a",
    "a",
    "A",
    "",
  ].join("\n");
  const { ast } = parseDockerfile(source);
  const docs = ast.children.map((c) => c.heredocs.map((h) => [h.name, h.content, h.fileDescriptor, h.expand, h.chomp]));
  assertEquals(docs, [
    [],
    [],
    [], // INVALID: USER takes no heredoc, so the next line is an instruction of its own
    [["EMPTY", "", 0, true, false]],
    [["EMPTY2", "", 3, true, false]],
    [],
    [["INDENT", "\tfoo\n\tbar\n", 0, true, false]],
    [["UNINDENT", "baz\nquux\n", 0, true, true]],
    [["NOEXPAND", "don't expand $NAME\n", 0, false, true]],
    [["EOF", "# not a comment here\n", 0, false, false]],
    [["MOUNT", "echo hello\n", 0, true, false]],
    [["X", "Y\n", 0, true, false], ["Y", "X\n", 0, true, false]],
    [],
    [["A", "a\n", 0, true, false]],
  ]);
  // An instruction's end line includes its heredoc bodies.
  assertEquals(ast.children.map((c) => [c.startLine, c.endLine]).slice(-5), [[20, 22], [23, 25], [26, 30], [31, 31], [
    32,
    34,
  ]]);
  assertEquals(ast.children[2].value, "invalid");
});

Deno.test("heredocs: blanks after << (Dockerfile 1.16), not after <<-", () => {
  const { ast } = parseDockerfile("FROM busybox\nRUN << EOF\necho hi\nEOF\nRUN cat 3<<  'X' > /f\nbody\nX\n");
  const docs = ast.children.map((c) => c.heredocs.map((h) => [h.name, h.content, h.fileDescriptor, h.expand]));
  assertEquals(docs, [[], [["EOF", "echo hi\n", 0, true]], [["X", "body\n", 3, false]]]);
  // `<<- EOF` stays two words in BuildKit's lexer: no heredoc, so its body lines are instructions.
  const { ast: dashed } = parseDockerfile("FROM busybox\nRUN <<- EOF\nEOF\n");
  assertEquals(dashed.children.map((c) => c.heredocs.length), [0, 0, 0]);
});

Deno.test("heredoc without its terminator is an error naming the instruction's line", () => {
  const err = parseError("FROM a\nRUN <<EOF\necho hi\nEOFX\n");
  assertEquals(err.line, 2);
  assertStringIncludes(err.message, "unterminated heredoc");
  assertStringIncludes(err.message, "RUN <<EOF");
});

Deno.test("CRLF line endings and a UTF-8 BOM parse like plain LF", () => {
  const lf = '# escape=\\\nFROM busybox\nRUN echo a \\\n  b\nENV x=1 y="2 3"\n';
  const crlf = "\uFEFF" + lf.replaceAll("\n", "\r\n");
  const a = parseDockerfile(lf);
  const b = parseDockerfile(crlf);
  assertEquals(b.dump(), a.dump());
  assertEquals(b.directives, [{ name: "escape", value: "\\", line: 1 }]);
  assertEquals(b.ast.children.map((c) => c.original), ["FROM busybox", "RUN echo a   b", 'ENV x=1 y="2 3"']);
});

Deno.test("directives count only at the top, before any comment, blank line or instruction", () => {
  const top = parseDockerfile(
    "# syntax=docker/dockerfile:1\n#check=skip=all\n# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n",
  );
  assertEquals(top.directives.map((d) => [d.name, d.value, d.line]), [
    ["syntax", "docker/dockerfile:1", 1],
    ["check", "skip=all", 2],
    ["escape", "`", 3],
  ]);
  assertEquals(top.escapeToken, "`");
  assertEquals(top.dump(), '(from "a")\n(run "dir c:\\\\   /w")\n');

  for (const late of ["# comment\n# escape=`\n", "\n# escape=`\n", "# foo=bar\n# escape=`\n", "FROM a\n# escape=`\n"]) {
    const r = parseDockerfile(late + "FROM b\nRUN x `\n");
    assertEquals(r.escapeToken, "\\", late);
    assertEquals(r.directives, [], late);
  }
  assertStringIncludes(parseError("# escape=\\\n# escape=`\nFROM a\n").message, "only one escape parser directive");
  const bad = parseError("# escape=x\nFROM a\n");
  assertEquals(bad.line, 1);
  assertStringIncludes(bad.message, "invalid escape token 'x'");
});

Deno.test("continuations: comments inside are skipped, empty lines warn, a trailing escape at EOF ends the instruction", () => {
  const source = [
    "FROM alpine:3.6",
    "RUN valid \\",
    "    continuation",
    "RUN something \\",
    "",
    "    following \\",
    "",
    "    more",
    "RUN another \\",
    "",
    "    thing",
    "RUN non-indented \\",
    "# this is a comment",
    "   after-comment",
    "RUN last \\",
  ].join("\n");
  const r = parseDockerfile(source);
  assertEquals(r.warnings.length, 2);
  assertStringIncludes(r.warnings[0].message, "Empty continuation line found in: RUN something     following     more");
  assertEquals(r.warnings[0].line, 4);
  assertStringIncludes(r.warnings[1].message, "RUN another     thing");
  assertEquals(r.ast.children.map((c) => c.original), [
    "FROM alpine:3.6",
    "RUN valid     continuation",
    "RUN something     following     more",
    "RUN another     thing",
    "RUN non-indented    after-comment",
    "RUN last ",
  ]);
  assertEquals(r.ast.children.at(-1)!.endLine, 15);
});

Deno.test("arguments: JSON form and its fallbacks, flags, ENV/LABEL pairs, HEALTHCHECK and ONBUILD nesting", () => {
  const r = parseDockerfile([
    'CMD ["a", "b c"]',
    "CMD [not json]",
    'ENTRYPOINT ["unterminated"',
    'COPY ["a b", "/c"]',
    "COPY --from=build --chown=1:2 a b /c/",
    "ENV A=1 B='two words' C=3",
    "LABEL x y z",
    "ARG V=1 W",
    'HEALTHCHECK --interval=1s CMD ["true"]',
    "HEALTHCHECK NONE",
    "ONBUILD RUN --network=none make",
    "MAINTAINER Jane Doe <jane@example.com>",
    "EXPOSE 80/tcp  443",
  ].join("\n"));
  assertEquals(
    r.dump(),
    [
      '(cmd "a" "b c")',
      '(cmd "[not json]")',
      '(entrypoint "[\\"unterminated\\"")',
      '(copy "a b" "/c")',
      '(copy ["--from=build" "--chown=1:2"] "a" "b" "/c/")',
      '(env "A" "1" "=" "B" "\'two words\'" "=" "C" "3" "=")',
      '(label "x" "y z" "")',
      '(arg "V=1" "W")',
      '(healthcheck ["--interval=1s"] "CMD" "true")',
      '(healthcheck "NONE")',
      '(onbuild (run ["--network=none"] "make"))',
      '(maintainer "Jane Doe <jane@example.com>")',
      '(expose "80/tcp" "443")',
      "",
    ].join("\n"),
  );
  const json = r.ast.children.map((c) => c.json);
  assertEquals(json, [true, false, false, true, false, false, false, false, true, false, false, false, false]);
  assertEquals(r.ast.children[10].next!.children[0].flags, ["--network=none"]);
});

Deno.test("errors name the file and line and show the offending text", () => {
  const nested = parseError('FROM a\nCMD [ "echo", [ "nested" ] ]\n', "app/Dockerfile.dev");
  assertEquals([nested.file, nested.line], ["app/Dockerfile.dev", 2]);
  assertStringIncludes(nested.message, "app/Dockerfile.dev:2: when using JSON array syntax");
  assertStringIncludes(nested.message, '2 | CMD [ "echo", [ "nested" ] ]');

  const env = parseError("FROM a\nENV a=1 \\\n  b\n");
  assertEquals(env.line, 2);
  assertStringIncludes(env.message, `can't find = in "b"`);
  assertStringIncludes(env.message, "3 |   b");

  assertEquals(parseError("# just a comment\n\n").reason, "file with no instructions");
  assertEquals(parseError("").reason, "file with no instructions");
});

Deno.test("unknown instructions: accepted by the parser, rejected by validateInstructions with a suggestion", () => {
  const r = parseDockerfile("FROM a\nRUNN echo\n");
  assertEquals(r.dump(), '(from "a")\n(runn "")\n');
  const err = parseError("FROM a\nRUNN echo\n");
  assertEquals(err.line, 2);
  assertStringIncludes(err.message, "unknown instruction: RUNN (did you mean RUN?)");
  assertStringIncludes(
    parseError("FROM a\nONBUILD COPPY a b\n").message,
    "unknown instruction: COPPY (did you mean COPY?)",
  );
  const far = parseError("FROM a\nFROBNICATE x\n");
  assertEquals(far.reason, "unknown instruction: FROBNICATE");
});

Deno.test("a line longer than BuildKit's 64 KiB scanner limit is rejected", () => {
  const ok = parseDockerfile(`FROM a\nLABEL x=${"a".repeat(60000)}\n`);
  assertEquals(ok.ast.children.length, 2);
  const err = parseError(`FROM a\nLABEL test=${"a".repeat(65536)}\n`);
  assertEquals(err.reason, "dockerfile line greater than max allowed size of 65535");
});
