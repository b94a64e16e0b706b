import { assert, assertEquals } from "../test/util/assert.ts";
import { isGitContext, isRemoteContext, parseGitContext } from "./remote_context.ts";

Deno.test("git contexts are recognised as docker recognises them; other URLs are downloads; paths are paths", () => {
  for (
    const c of [
      "git://h/r",
      "git@github.com:o/r.git",
      "github.com/o/r",
      "ssh://git@h/r",
      "https://h/o/r.git",
      "https://h/r.git#v1:sub",
    ]
  ) {
    assert(isGitContext(c), c);
  }
  for (const c of ["https://h/ctx.tar.gz", "http://h/Dockerfile", ".", "/abs/dir", "git/dir"]) {
    assert(!isGitContext(c), c);
  }
  assert(isRemoteContext("https://h/ctx.tar.gz") && !isRemoteContext("./http"));
});

Deno.test("#ref:subdir: either part may be missing; github.com/ gets https", () => {
  assertEquals(parseGitContext("https://h/r.git#main:docker/app"), {
    url: "https://h/r.git",
    ref: "main",
    subdir: "docker/app",
  });
  assertEquals(parseGitContext("https://h/r.git#:app"), { url: "https://h/r.git", subdir: "app" });
  assertEquals(parseGitContext("https://h/r.git#v1"), { url: "https://h/r.git", ref: "v1" });
  assertEquals(parseGitContext("github.com/o/r"), { url: "https://github.com/o/r" });
});
