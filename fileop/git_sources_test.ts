import { assert, assertEquals, assertThrows } from "../test/util/assert.ts";
import { GitSources, GitUrlError, isGitUrl, parseGitUrl, resolveGitRef } from "./git_sources.ts";
import { gitRun } from "../test/util/git_server.ts";

Deno.test("#ref:subdir: either part may be missing; github.com/ gets https", () => {
  assertEquals(parseGitUrl("https://h/r.git#main:docker/app"), {
    url: "https://h/r.git",
    ref: "main",
    subdir: "docker/app",
  });
  assertEquals(parseGitUrl("https://h/r.git#:app"), { url: "https://h/r.git", subdir: "app" });
  assertEquals(parseGitUrl("https://h/r.git#v1"), { url: "https://h/r.git", ref: "v1" });
  assertEquals(parseGitUrl("github.com/o/r"), { url: "https://github.com/o/r" });
});

Deno.test("the query form (Dockerfile 1.18): tag, branch, ref, checksum/commit, subdir, keep-git-dir, submodules", () => {
  assertEquals(parseGitUrl("https://h/r.git?tag=v1&subdir=docs"), {
    url: "https://h/r.git",
    ref: "refs/tags/v1",
    subdir: "docs",
  });
  assertEquals(parseGitUrl("https://h/r.git?branch=dev"), { url: "https://h/r.git", ref: "refs/heads/dev" });
  assertEquals(parseGitUrl("git@h:o/r.git?ref=pull/42/head&keep-git-dir=true&submodules=false"), {
    url: "git@h:o/r.git",
    ref: "pull/42/head",
    keepGitDir: true,
    submodules: false,
  });
  // A checksum alone is the ref; with a ref it is what the ref must resolve to.
  assertEquals(parseGitUrl("https://h/r.git?commit=abc1234"), {
    url: "https://h/r.git",
    ref: "abc1234",
    checksum: "abc1234",
  });
  assertEquals(parseGitUrl("https://h/r.git?tag=v1&checksum=abc1234"), {
    url: "https://h/r.git",
    ref: "refs/tags/v1",
    checksum: "abc1234",
  });
  // Fragment and query together, as long as they agree.
  assertEquals(parseGitUrl("https://h/r.git?subdir=a#main:a"), { url: "https://h/r.git", ref: "main", subdir: "a" });
  for (
    const [bad, why] of [
      ["https://h/r.git?tag=v1&ref=main", "tag conflicts with ref"],
      ["https://h/r.git?tag=v1&branch=main", "branch conflicts with tag"],
      ["https://h/r.git?ref=a#b", `ref conflicts: "b" vs "a"`],
      ["https://h/r.git?subdir=a#:b", `subdir conflicts: "b" vs "a"`],
      ["https://h/r.git?depth=1", `unexpected query "depth"`],
      ["https://h/r.git?tag=", `query "tag" has no value`],
      ["https://h/r.git?tag=a&tag=b", `query "tag" has multiple values`],
      ["https://h/r.git?submodules=maybe", `query "submodules" must be true or false`],
    ]
  ) {
    const e = assertThrows(() => parseGitUrl(bad), GitUrlError);
    assert(e.message.includes(why), `${bad}: ${e.message}`);
  }
  assert(isGitUrl("https://h/r.git?tag=v1") && isGitUrl("https://h/r.git#v1") && !isGitUrl("https://h/r.tgz?x=.git"));
});

Deno.test("refs resolve to commits (annotated tags peeled); one checkout per commit, .git only when kept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const work = `${dir}/work`;
    await Deno.mkdir(work);
    await gitRun(work, "init", "-q");
    await Deno.writeTextFile(`${work}/f`, "1\n");
    await gitRun(work, "add", "f");
    await gitRun(work, "commit", "-q", "-m", "one");
    const one = await gitRun(work, "rev-parse", "HEAD");
    await gitRun(work, "tag", "-a", "-m", "annotated", "v1");
    await Deno.writeTextFile(`${work}/f`, "2\n");
    await gitRun(work, "commit", "-q", "-am", "two");
    const two = await gitRun(work, "rev-parse", "HEAD");
    const url = `file://${work}`;

    assertEquals(await resolveGitRef(url, "v1"), one);
    assertEquals(await resolveGitRef(url, "refs/tags/v1"), one, "?tag=v1 asks for the full name");
    assertEquals(await resolveGitRef(url, "main"), two);
    assertEquals(await resolveGitRef(url, undefined), two);
    assertEquals(await resolveGitRef(url, one.slice(0, 10)), one.slice(0, 10));

    const sources = new GitSources(`${dir}/store`);
    const tagged = await sources.checkout(url, "v1");
    assertEquals(tagged, `${dir}/store/git-sources/${one}`);
    assertEquals(await Deno.readTextFile(`${tagged}/f`), "1\n");
    assert(!(await Deno.stat(`${tagged}/.git`).then(() => true, () => false)));
    // A second build (a new instance) finds the same checkout by commit.
    assertEquals(await new GitSources(`${dir}/store`).checkout(url, one), tagged);
    const kept = await sources.checkout(url, "main", { keepGitDir: true });
    assertEquals(kept, `${dir}/store/git-sources/${two}-git`);
    assertEquals(await gitRun(kept, "rev-parse", "HEAD"), two);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
