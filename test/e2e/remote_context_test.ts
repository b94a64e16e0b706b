/**
 * Remote build contexts, as root and as an unprivileged user: a git repository over git:// (git daemon) at a
 * branch, a tag or a commit, with a subdirectory as the context and `.git` left out unless
 * BUILDKIT_CONTEXT_KEEP_GIT_DIR=1; the same repository over git's dumb HTTP protocol (no shallow fetch there);
 * a context tarball and a lone Dockerfile downloaded over HTTP; bad refs and unreachable URLs fail naming them;
 * and none of these temporary contexts leaves a stat cache in the store; named contexts (--build-context) come
 * from git and HTTP the same ways. `ADD <git url>` is keyed on the commit
 * the ref names: a moved branch reruns it, a fixed tag stays cached.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { testUser } from "../util/user.ts";
import { gitRun, makeRepo, startGitServers } from "../util/git_server.ts";
import { localBuilds, makeContext, makeStore, removeAll, steps } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();
const servers = await startGitServers();

const dockerfile = `FROM ${base}\nCOPY . /ctx\nRUN ls -a /ctx | tr '\\n' ' ' > /listing\n`;
const repo = await makeRepo(servers, "app", {
  "README": "top\n",
  "app/Dockerfile": dockerfile,
  "app/version": "1\n",
});
await repo.commit({ "app/version": "2\n" }, "v2");
const v2 = await repo.head();
await repo.commit({ "app/version": "3\n" });

// A context tarball and a lone Dockerfile, served over HTTP.
await Deno.mkdir(`${servers.dir}/tar/sub`, { recursive: true });
await Deno.writeTextFile(`${servers.dir}/tar/Dockerfile`, dockerfile);
await Deno.writeTextFile(`${servers.dir}/tar/sub/file`, "from a tarball\n");
await new Deno.Command("tar", { args: ["-czf", `${servers.dir}/ctx.tar.gz`, "-C", `${servers.dir}/tar`, "."] })
  .output();
await Deno.writeTextFile(`${servers.dir}/Dockerfile.plain`, `FROM ${base}\nRUN echo plain > /plain\n`);

for (const as of ["root", "user"] as const) {
  Deno.test(`remote context: git (branch, tag, commit, subdir, .git kept or not), HTTP tar and Dockerfile (${as})`, async () => {
    const store = await makeStore(as === "user" ? user : undefined);
    const out = await makeStore(as === "user" ? user : undefined);
    const build = localBuilds(store, out, as);
    try {
      const main = await build(`${servers.gitUrl}/app.git#main:app`);
      assertEquals(main.code, 0, main.stderr);
      assertEquals(await main.read("ctx/version"), "3");
      assertEquals(await main.read("listing"), ". .. Dockerfile version", "the subdir is the context, no .git");

      const tag = await build(`${servers.gitUrl}/app.git#v2:app`);
      assertEquals(tag.code, 0, tag.stderr);
      assertEquals(await tag.read("ctx/version"), "2");
      const commit = await build(`${servers.gitUrl}/app.git#${v2.slice(0, 12)}:app`);
      assertEquals(commit.code, 0, commit.stderr);
      assertEquals(await commit.read("ctx/version"), "2");
      // Dockerfile 1.18's query form.
      const query = await build(`${servers.gitUrl}/app.git?tag=v2&subdir=app&checksum=${v2.slice(0, 10)}`);
      assertEquals(query.code, 0, query.stderr);
      assertEquals(await query.read("ctx/version"), "2");

      // The whole repository, -f inside it, .git kept on request.
      const whole = await build(
        `${servers.gitUrl}/app.git`,
        "-f",
        "app/Dockerfile",
        "--build-arg",
        "BUILDKIT_CONTEXT_KEEP_GIT_DIR=1",
      );
      assertEquals(whole.code, 0, whole.stderr);
      assertEquals(await whole.read("listing"), ". .. .git README app");

      // Dumb HTTP cannot fetch shallow: the full history is fetched instead.
      const http = await build(`${servers.httpUrl}/app.git#v2:app`);
      assertEquals(http.code, 0, http.stderr);
      assertEquals(await http.read("ctx/version"), "2");

      const tarball = await build(`${servers.httpUrl}/ctx.tar.gz`);
      assertEquals(tarball.code, 0, tarball.stderr);
      assertEquals(await tarball.read("ctx/sub/file"), "from a tarball");
      const plain = await build(`${servers.httpUrl}/Dockerfile.plain`);
      assertEquals(plain.code, 0, plain.stderr);
      assertEquals(await plain.read("plain"), "plain");

      const badRef = await build(`${servers.gitUrl}/app.git#no-such-branch`);
      assertEquals(badRef.code, 1, badRef.stderr);
      assertStringIncludes(badRef.stderr, `unable to fetch git context ${servers.gitUrl}/app.git#no-such-branch`);
      const badDir = await build(`${servers.gitUrl}/app.git#main:nope`);
      assertStringIncludes(badDir.stderr, "no directory nope in the repository");
      const missing = await build(`${servers.httpUrl}/missing.tar`);
      assertEquals(missing.code, 1, missing.stderr);
      assertStringIncludes(missing.stderr, `unable to download remote context ${servers.httpUrl}/missing.tar: 404`);

      // Temporary contexts are hashed but leave no stat cache behind.
      const caches = [...Deno.readDirSync(`${store}/cache`)].filter((e) => e.name.startsWith("context-"));
      assertEquals(caches.map((e) => e.name), []);
      // The source repository is untouched (a fetch never pushes).
      assert((await gitRun(`${servers.dir}/app.git`, "rev-parse", "main")).length === 40);
    } finally {
      await removeAll(store);
      await removeAll(out);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`ADD <git url>: tree at a ref, subdir, --keep-git-dir, keyed on the commit, --checksum (${as})`, async () => {
    const git = `${servers.gitUrl}/app.git`;
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}
ADD ${git}#v2:app /src
ADD --keep-git-dir=true ${git} /full
RUN cat /src/version > /v && ls -a /full | tr '\\n' ' ' > /full-listing
`,
      "Dockerfile.bad": `FROM ${base}\nADD --checksum=0000000 ${git}#v2 /src\n`,
      "Dockerfile.nodir": `FROM ${base}\nADD ${git}#v2:nope /src\n`,
      "Dockerfile.query": `FROM ${base}\nADD ${git}?tag=v2&subdir=app&commit=${v2.slice(0, 10)} /q\n`,
      "Dockerfile.conflict": `FROM ${base}\nADD ${git}?tag=v2&ref=main /q\n`,
      "Dockerfile.named": `FROM ${base}\nCOPY --from=src version /v\nCOPY --from=tarball sub/file /t\n`,
    });
    const store = await makeStore(as === "user" ? user : undefined);
    const out = await makeStore(as === "user" ? user : undefined);
    const exported = localBuilds(store, out, as);
    const build = (...args: string[]) => exported(ctx, ...args);
    try {
      const first = await build();
      assertEquals(first.code, 0, first.stderr);
      assertEquals(await first.read("v"), "2");
      assertEquals(await first.read("src/Dockerfile"), dockerfile.trim());
      assertEquals(await first.read("full-listing"), ". .. .git README app");

      assertEquals(steps((await build()).stderr).ran, [], "same commits: all cached");
      await repo.commit({ "app/other": `${as}\n` });
      const moved = await build("--explain");
      assertEquals(steps(moved.stderr).ran, [
        `ADD --keep-git-dir=true ${git} /full`,
        "RUN cat /src/version > /v && ls -a /full | tr '\\n' ' ' > /full-listing",
      ]);
      assertStringIncludes(moved.stderr, `git ${git}#HEAD moved`);

      const bad = await build("-f", `${ctx}/Dockerfile.bad`);
      assertEquals(bad.code, 1, bad.stderr);
      assertStringIncludes(
        bad.stderr,
        `Dockerfile.bad:2: ADD failed: ${git}#v2 is commit ${v2}, not --checksum=0000000`,
      );
      // Named contexts fetched the same ways as the main context.
      const named = await build(
        "-f",
        `${ctx}/Dockerfile.named`,
        "--build-context",
        `src=${git}#v2:app`,
        "--build-context",
        `tarball=${servers.httpUrl}/ctx.tar.gz`,
      );
      assertEquals(named.code, 0, named.stderr);
      assertEquals([await named.read("v"), await named.read("t")], ["2", "from a tarball"]);
      const query = await build("-f", `${ctx}/Dockerfile.query`);
      assertEquals(query.code, 0, query.stderr);
      assertEquals(await query.read("q/version"), "2");
      const conflict = await build("-f", `${ctx}/Dockerfile.conflict`);
      assertEquals(conflict.code, 1, conflict.stderr);
      assertStringIncludes(conflict.stderr, "Dockerfile.conflict:2: ADD: failed to parse git URL opts");
      assertStringIncludes(conflict.stderr, "tag conflicts with ref");
      const nodir = await build("-f", `${ctx}/Dockerfile.nodir`);
      assertEquals(nodir.code, 1, nodir.stderr);
      assertStringIncludes(nodir.stderr, `no directory nope in git repository ${git}#v2`);
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}

Deno.test("remote context: stop the servers", async () => {
  await servers.stop();
  await registry.stop();
});
