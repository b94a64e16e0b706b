import { assertEquals } from "../test/util/assert.ts";
import { ContextFilter } from "./filter.ts";
import { clampSource, selectSource } from "./select.ts";

Deno.test("selectSource: Go filepath.Match globs per segment, excludes hide paths, .. clamped", async () => {
  const root = await Deno.makeTempDir();
  for (const f of ["a.txt", "b.txt", "c.md", "d/x.txt", "d/e/y.txt", "star*name"]) {
    await Deno.mkdir(`${root}/${f}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${f}`, f);
  }
  const none = new ContextFilter([]);
  assertEquals(selectSource(root, "*.txt", none, true), ["a.txt", "b.txt"]);
  assertEquals(selectSource(root, "**.txt", none, true), ["a.txt", "b.txt"], "** is * in filepath.Match");
  assertEquals(selectSource(root, "*/*.txt", none, true), ["d/x.txt"]);
  assertEquals(selectSource(root, "[ab].txt", none, true), ["a.txt", "b.txt"]);
  assertEquals(selectSource(root, "[^a].txt", none, true), ["b.txt"]);
  assertEquals(selectSource(root, "star\\*name", none, true), ["star*name"]);
  assertEquals(selectSource(root, "*.txt", none, false), [], "without wildcards the name is literal");
  assertEquals(selectSource(root, "../../d", none, true), ["d"]);
  assertEquals(selectSource(root, ".", none, true), ["."]);
  const f = new ContextFilter(["b.txt", "d"]);
  assertEquals(selectSource(root, "*.txt", f, true), ["a.txt"]);
  assertEquals(selectSource(root, "d/x.txt", f, true), [], "inside an excluded dir");
  assertEquals(selectSource(root, "d", new ContextFilter(["d", "!d/e"]), true), ["d"], "re-included below");
  assertEquals([clampSource("/a/../../b"), clampSource("./"), clampSource("x/")], ["b", ".", "x"]);
  await Deno.remove(root, { recursive: true });
});
