import { assert, assertEquals } from "../test/util/assert.ts";
import { GitSources, parseGitUrl, resolveGitRef } from "./git_sources.ts";
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
    assertEquals(await resolveGitRef(url, "main"), two);
    assertEquals(await resolveGitRef(url, undefined), two);
    assertEquals(await resolveGitRef(url, one.slice(0, 10)), one.slice(0, 10));

    const sources = new GitSources(`${dir}/store`);
    const tagged = await sources.checkout(url, "v1", false);
    assertEquals(tagged, `${dir}/store/git-sources/${one}`);
    assertEquals(await Deno.readTextFile(`${tagged}/f`), "1\n");
    assert(!(await Deno.stat(`${tagged}/.git`).then(() => true, () => false)));
    // A second build (a new instance) finds the same checkout by commit.
    assertEquals(await new GitSources(`${dir}/store`).checkout(url, one, false), tagged);
    const kept = await sources.checkout(url, "main", true);
    assertEquals(kept, `${dir}/store/git-sources/${two}-git`);
    assertEquals(await gitRun(kept, "rev-parse", "HEAD"), two);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
