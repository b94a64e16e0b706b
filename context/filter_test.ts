import { assertEquals } from "../test/util/assert.ts";
import { ContextFilter } from "./filter.ts";
import { parseDockerignore, readDockerignore } from "./dockerignore.ts";

// [patterns, path, excluded] — cases from the Dockerfile reference and moby/patternmatcher's tests.
const table: [string[], string, boolean][] = [
  [["*/temp*"], "somedir/temporary.txt", true],
  [["*/temp*"], "somedir/temp", true],
  [["*/temp*"], "temp", false],
  [["*/*/temp*"], "somedir/subdir/temporary.txt", true],
  [["temp?"], "tempa", true],
  [["temp?"], "tempab", false],
  [["**/*.go"], "a/b/c/x.go", true],
  [["**/*.go"], "x.go", true],
  [["**/*.go"], "x.gox", false],
  [["a/**/b"], "a/b", true],
  [["a/**/b"], "a/x/y/b", true],
  [["a/**"], "a/x", true],
  [["*.md", "!README.md"], "README.md", false],
  [["*.md", "!README.md"], "CHANGES.md", true],
  [["*.md", "!README*.md", "README-secret.md"], "README-secret.md", true],
  [["*.md", "!README*.md", "README-secret.md"], "README-public.md", false],
  [["*.md", "README-secret.md", "!README*.md"], "README-secret.md", false],
  [["dir"], "dir/sub/file", true], // a matched directory excludes its contents
  [["dir", "!dir/keep"], "dir/keep", false],
  [["dir", "!dir/keep"], "dir/drop", true],
  [["/leading"], "leading", true],
  [["./dot/x"], "dot/x", true],
  [["a/../b"], "b", true],
  [["*"], "a/b", true], // via the parent dir "a"
  [["*.txt"], "d/x.txt", false], // * does not cross /
  [["[a-c]x"], "bx", true],
  [["[^a-c]x"], "dx", true],
  [["[^a-c]x"], "ax", false],
  [["Foo"], "foo", false], // case-sensitive like Docker
];

Deno.test("ContextFilter follows moby/patternmatcher semantics", () => {
  for (const [patterns, path, want] of table) {
    assertEquals(new ContextFilter(patterns).excluded(path), want, `${JSON.stringify(patterns)} ${path}`);
  }
});

Deno.test("ContextFilter.mustDescend only when a negation may re-include below", () => {
  const f = new ContextFilter(["dir", "!dir/sub/keep.txt"]);
  assertEquals(f.mustDescend("dir"), true);
  assertEquals(f.mustDescend("dir/sub"), true);
  assertEquals(f.mustDescend("other"), false);
  assertEquals(new ContextFilter(["dir"]).mustDescend("dir"), false);
  assertEquals(new ContextFilter(["dir", "!**/keep"]).mustDescend("dir"), true);
});

Deno.test("parseDockerignore normalises lines like patternmatcher's ReadAll", () => {
  assertEquals(
    parseDockerignore("\uFEFF# comment\n  /abs/path  \n\n!  ./keep/../kept\n./x/\n/\n"),
    ["abs/path", "!kept", "x", "/"],
  );
});

Deno.test("readDockerignore prefers <Dockerfile>.dockerignore", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/.dockerignore`, "a\n");
  assertEquals(await readDockerignore(dir), ["a"]);
  await Deno.mkdir(`${dir}/sub`);
  assertEquals(await readDockerignore(dir, `${dir}/sub/Dockerfile`), ["a"]);
  await Deno.writeTextFile(`${dir}/sub/Dockerfile.dockerignore`, "b\n");
  assertEquals(await readDockerignore(dir, `${dir}/sub/Dockerfile`), ["b"]);
  assertEquals(await readDockerignore(await Deno.makeTempDir()), []);
  await Deno.remove(dir, { recursive: true });
});
