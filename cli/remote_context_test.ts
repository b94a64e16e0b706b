import { assert } from "../test/util/assert.ts";
import { isGitContext, isRemoteContext } from "./remote_context.ts";

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
