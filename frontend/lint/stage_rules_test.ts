import { assertEquals } from "../../test/util/assert.ts";
import { lintDockerfile, type LintOptions } from "./mod.ts";

/** `Rule line: message` for each warning, in the order found. */
function lint(source: string, opts: LintOptions = {}): string[] {
  const r = lintDockerfile(source, { baseEnv: () => [], ...opts });
  if (r.error) throw r.error;
  return r.warnings.map((w) => `${w.rule} ${w.line}: ${w.message}`);
}

Deno.test("StageNameCasing and FromAsCasing (BuildKit's testStageName cases)", () => {
  assertEquals(
    lint(
      "\n# warning: stage name should be lowercase\n#\nFROM scratch AS BadStageName\n\n#\nFROM scratch as base2\n\nFROM scratch AS base3\n",
    ),
    [
      "StageNameCasing 4: Stage name 'BadStageName' should be lowercase",
      "FromAsCasing 7: 'as' and 'FROM' keywords' casing do not match",
    ],
  );
  assertEquals(lint("\n#\nfrom scratch AS base\n\nfrom scratch as base2\n"), [
    "FromAsCasing 3: 'AS' and 'from' keywords' casing do not match",
  ]);
  assertEquals(lint("FROM scratch AS base\nfrom scratch as base2\nFROM scratch\n"), [
    "ConsistentInstructionCasing 2: Command 'from' should match the case of the command majority (uppercase)",
  ]);
});

Deno.test("ConsistentInstructionCasing: mixed-case keywords and the minority casing", () => {
  assertEquals(lint("\n#\nFrom scratch as base\nFROM scratch AS base2\n"), [
    "ConsistentInstructionCasing 3: Command 'From' should match the case of the command majority (uppercase)",
  ]);
  assertEquals(lint("FROM scratch\ncopy Dockerfile /foo\nCOPY Dockerfile /bar\n"), [
    "ConsistentInstructionCasing 2: Command 'copy' should match the case of the command majority (uppercase)",
  ]);
  assertEquals(lint("#\nfrOM scratch as base\nfrom scratch as base2\n"), [
    "ConsistentInstructionCasing 2: Command 'frOM' should match the case of the command majority (lowercase)",
  ]);
  assertEquals(lint("FROM scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n"), [
    "ConsistentInstructionCasing 1: Command 'FROM' should match the case of the command majority (lowercase)",
  ]);
  // ARGs before the first FROM do not vote; heredoc bodies are not instructions.
  assertEquals(lint("arg x=1\narg y=2\nFROM scratch\nCOPY <<EOT /a\nenv\nEOT\n"), []);
  assertEquals(lint("from scratch\ncopy Dockerfile /foo\n"), []);
});

Deno.test("DuplicateStageName and ReservedStageName", () => {
  assertEquals(lint("FROM scratch AS b\nFROM scratch AS b\n"), [
    'DuplicateStageName 2: Duplicate stage name "b", stage names should be unique',
  ]);
  assertEquals(lint("FROM scratch AS b1\nFROM scratch AS B2\n"), [
    "StageNameCasing 2: Stage name 'B2' should be lowercase",
  ]);
  assertEquals(lint("FROM scratch AS scratch\nFROM scratch AS context\n"), [
    'ReservedStageName 1: Stage name should not use the same name as reserved stage "scratch"',
    'ReservedStageName 2: Stage name should not use the same name as reserved stage "context"',
  ]);
  assertEquals(lint("FROM scratch\nFROM scratch AS a\n"), []);
});

Deno.test("MaintainerDeprecated", () => {
  assertEquals(lint("FROM scratch\nMAINTAINER me@example.org\n"), [
    "MaintainerDeprecated 2: Maintainer instruction is deprecated in favor of using label",
  ]);
  assertEquals(lint('FROM scratch\nLABEL org.opencontainers.image.authors="me@example.org"\n'), []);
});

Deno.test("warnings found before an error are kept, with the error", () => {
  const r = lintDockerfile("FROM scratch AS BadStageName\nMAINTAINER me@example.org\nBADCMD\n");
  assertEquals(r.warnings.map((w) => `${w.rule} ${w.line}`), ["StageNameCasing 1", "MaintainerDeprecated 2"]);
  assertEquals(r.error?.message.includes("unknown instruction: BADCMD"), true);
});

Deno.test("NoEmptyContinuation points at the instruction's last line", () => {
  assertEquals(
    lint("FROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n"),
    [
      "NoEmptyContinuation 5: Empty continuation line",
    ],
  );
  assertEquals(lint("FROM scratch\nCOPY Dockerfile \\\n  .\n"), []);
});

Deno.test("InvalidDefinitionDescription is experimental and checks the comment right above ARG and named FROM", () => {
  const good = "# check=experimental=InvalidDefinitionDescription\n# foo this is the foo\nARG foo=bar\n\n" +
    "# base this is the base image\nFROM scratch AS base\n\n# version this is the version number\nARG version=latest\n\n" +
    "# baz this is the baz\nARG foo=baz bar=qux baz=quux\n#\nARG bit=bat\n\n# comment for something other than ARG or FROM\n" +
    "COPY Dockerfile .\n";
  assertEquals(lint(good), []);
  const bad = "# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n" +
    "# BasE this is the BasE image\nFROM scratch AS base\n# definitely a bad comment\nARG version=latest\n" +
    "# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n";
  assertEquals(lint(bad), [
    "InvalidDefinitionDescription 3: Comment for ARG should follow the format: `# foo <description>`",
    "InvalidDefinitionDescription 5: Comment for FROM should follow the format: `# base <description>`",
    "InvalidDefinitionDescription 7: Comment for ARG should follow the format: `# version <description>`",
    "InvalidDefinitionDescription 9: Comment for ARG should follow the format: `# <arg_key> <description>`",
  ]);
  // Not enabled: nothing, whatever the comments say.
  assertEquals(lint(bad.replace(/^# check=.*\n/, "\n")), []);
});
