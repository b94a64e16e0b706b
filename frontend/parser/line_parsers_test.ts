import { assertEquals } from "../../test/util/assert.ts";
import { newNodeFromLine, parseWords } from "./line_parsers.ts";
import { dumpNode } from "./dump.ts";

Deno.test("parseWords keeps quotes and escapes in the words (BuildKit's TestParseWords)", () => {
  const cases: [string, string[]][] = [
    ["foo", ["foo"]],
    ["foo bar", ["foo", "bar"]],
    ["foo\\ bar", ["foo\\ bar"]],
    ["foo=bar", ["foo=bar"]],
    ["foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]],
    ['foo bar "abc xyz"', ["foo", "bar", '"abc xyz"']],
    ["àöû", ["àöû"]],
    ['föo bàr "âbc xÿz"', ["föo", "bàr", '"âbc xÿz"']],
    ["''", ["''"]],
    ["a\\", ["a"]],
    ["'a\\' b", ["'a\\'", "b"]],
  ];
  for (const [input, want] of cases) assertEquals(parseWords(input, "\\"), want, input);
  assertEquals(parseWords("a` b c\\ d", "`"), ["a` b", "c\\", "d"]);
});

Deno.test("flags: quoted values, escapes, a lone -- ends them, later --words are arguments", () => {
  const dump = (line: string) => `(${dumpNode(newNodeFromLine(line, "\\"))})`;
  assertEquals(dump(`COPY --chown="a b" --x='' -- --notflag /d`), '(copy ["--chown=a b" "--x="] "--notflag" "/d")');
  assertEquals(dump("RUN --mount=type=cache,target=/c\\ d make"), '(run ["--mount=type=cache,target=/c d"] "make")');
  assertEquals(dump("COPY a --b c"), '(copy "a" "--b" "c")');
  assertEquals(
    dump("FROM --platform=$BUILDPLATFORM golang AS build"),
    '(from ["--platform=$BUILDPLATFORM"] "golang" "AS" "build")',
  );
  assertEquals(dump("run"), "(run)");
});
