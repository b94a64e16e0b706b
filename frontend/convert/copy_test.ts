import { assertEquals, assertRejects } from "../../test/util/assert.ts";
import type { FileAction, LocalVertex } from "../../graph/mod.ts";
import { DockerfileError } from "../instructions/mod.ts";
import { convert, createdBy, filesOf } from "./testing.ts";

/** The actions of the target's last file vertex for `FROM busybox` + `body`. */
async function actions(body: string, buildArgs: Record<string, string> = {}): Promise<FileAction[]> {
  const { graph, target } = await convert(`FROM busybox\n${body}\n`, { buildArgs });
  const files = filesOf(graph, target);
  return files[files.length - 1].actions;
}

Deno.test("COPY from the context: one copy action reading the context LocalVertex", async () => {
  const { graph, target } = await convert(
    "FROM busybox\nWORKDIR /app\nCOPY --chown=1000:1000 --chmod=0644 src/ *.json ./\n",
    {
      contextExcludes: ["node_modules"],
    },
  );
  const copy = filesOf(graph, target)[1].actions[0];
  const ctx = graph.vertices.find((v): v is LocalVertex => v.kind === "local")!;
  assertEquals([ctx.name, ctx.path, ctx.excludes], ["context", "/ctx", ["node_modules"]]);
  assertEquals(copy, {
    action: "copy",
    from: graph.vertices.indexOf(ctx),
    src: ["src/", "*.json"],
    dest: "/app/",
    chown: { user: "1000", group: "1000" },
    copyDirContents: true,
    destIsDir: true,
    extractArchives: false,
    allowWildcard: true,
    allowEmptyWildcard: true,
    followSymlinks: true,
    excludes: [],
    parents: false,
    createDestPath: true,
    chmod: "0644",
  });
  assertEquals(createdBy(target)[1], "COPY src/ *.json ./ # buildkit");
});

Deno.test("COPY dest: relative to WORKDIR, file vs directory, variables expanded", async () => {
  const cases: [string, string, boolean][] = [
    ["WORKDIR /w\nCOPY a b", "/w/b", false],
    ["WORKDIR /w\nCOPY a .", "/w/", true],
    ["COPY a /x/", "/x/", true],
    ["ENV D=/opt\nCOPY a $D/bin/", "/opt/bin/", true],
    ["ARG N=tool\nCOPY a /usr/bin/${N}", "/usr/bin/tool", false],
  ];
  for (const [body, dest, destIsDir] of cases) {
    const [a] = await actions(body);
    assertEquals(a.action === "copy" && [a.dest, a.destIsDir], [dest, destIsDir], body);
  }
});

Deno.test("COPY --parents, --exclude and ADD archive extraction flags", async () => {
  const [copy] = await actions("ARG X=tmp\nCOPY --parents --exclude=*.log --exclude=$X a/b/ /dst/");
  assertEquals(copy.action === "copy" && [copy.parents, copy.excludes, copy.extractArchives], [
    true,
    ["*.log", "tmp"],
    false,
  ]);
  const [sym] = await actions("ARG M=u+x,go-w\nCOPY --chmod=$M a /x");
  assertEquals(sym.action === "copy" && sym.chmod, "u+x,go-w");
  const [add] = await actions("ADD app.tar.gz /opt/");
  assertEquals(add.action === "copy" && add.extractArchives, true);
});

Deno.test("ADD of a URL is an http action; --checksum is kept", async () => {
  const [http] = await actions(
    "ADD --checksum=sha256:abc123 --chmod=755 https://example.com/dl/tool.tgz /usr/local/bin/",
  );
  assertEquals(http, {
    action: "http",
    url: "https://example.com/dl/tool.tgz",
    dest: "/usr/local/bin/",
    destIsDir: true,
    filename: "tool.tgz",
    checksum: "sha256:abc123",
    chmod: "755",
  });
});

Deno.test("COPY heredocs become mkfile actions, expanded unless the delimiter is quoted", async () => {
  const acts = await actions("ENV WHO=world\nCOPY --chmod=0600 <<EOF <<'RAW' /etc/\nhello $WHO\nEOF\nkeep $WHO\nRAW");
  assertEquals(acts, [
    { action: "mkfile", path: "/etc/EOF", mode: 0o600, data: "hello world\n" },
    { action: "mkfile", path: "/etc/RAW", mode: 0o600, data: "keep $WHO\n" },
  ]);
  const [single] = await actions('COPY <<EOF /motd\n"quoted" \\n $HOME\nEOF');
  assertEquals(single, { action: "mkfile", path: "/motd", mode: 0o644, data: '"quoted" \\n \n' });
});

Deno.test("COPY validation that cannot wait for the solver names the line", async () => {
  const cases: [string, string][] = [
    ["COPY https://example.com/x /x", "source can't be a URL for COPY"],
    ["ADD git@github.com:moby/buildkit.git#main:../up /src", "subdirectory ../up is outside the repository"],
    ["ADD --checksum=abc123 https://example.com/x /x", 'invalid --checksum "abc123" for a URL source'],
    ["ADD --checksum=sha256:abc local.txt /x", "--checksum can only be used with a URL source"],
    ["ARG M=9\nCOPY --chmod=$M a /x", 'invalid --chmod value "9"'],
  ];
  for (const [body, part] of cases) {
    const e = await assertRejects(() => convert(`FROM busybox\n\n${body}\n`), DockerfileError, part) as DockerfileError;
    assertEquals(e.line, 3 + body.split("\n").length - 1, body);
  }
  // A git source is one action: the repository split into url, ref and subdir, the flags kept.
  const git = await convert("FROM busybox\nADD --keep-git-dir=true --checksum=abc123 https://h/r.git#v1:docs /src\n");
  assertEquals(filesOf(git.graph, git.target)[0].actions, [{
    action: "git",
    url: "https://h/r.git",
    keepGitDir: true,
    dest: "/src",
    ref: "v1",
    subdir: "docs",
    checksum: "abc123",
  }]);
  // From another stage `..` is just a path in that filesystem, cleaned by the solver.
  const ok = await convert("FROM busybox AS a\nFROM busybox\nCOPY --from=a ../etc/passwd /x\n");
  assertEquals(filesOf(ok.graph, ok.target).length, 1);
  // What only Docker's classic builder refused, BuildKit (dockerd 20.10 and current) builds: `..` from the context
  // is cleaned from its root, and several sources may go to one path without a trailing slash (the last stays).
  for (const body of ["COPY ../secret /x", "COPY a/../../b /x", "COPY a b /notadir"]) {
    const built = await convert(`FROM busybox\n${body}\n`);
    assertEquals(filesOf(built.graph, built.target).length, 1, body);
  }
});

Deno.test("--chown with an empty group is the user's default group, as chown(1) and Dockerfile 1.28 read it", async () => {
  // `COPY --chown=${UID}:${GID}` with `--build-arg GID=` or `COPY --chown=app:` (moby/buildkit#3555): the group is
  // left to the user's own (fileop/apply.ts: a number's gid is the uid, a name's its passwd entry's).
  const [copy] = await actions("ARG UID=1234\nARG GID\nCOPY --chown=${UID}:${GID} a /x");
  assertEquals((copy as { chown?: unknown }).chown, { user: "1234" });
  const [named] = await actions("COPY --chown=app: a /y");
  assertEquals((named as { chown?: unknown }).chown, { user: "app" });
});

Deno.test("COPY --link with --chown by name is refused at its line; numbers and root are fine", async () => {
  for (const chown of ["app", "1000:staff", "app:1000"]) {
    const err = await assertRejects(
      () => convert(`FROM busybox\nCOPY --link --chown=${chown} a /x\n`),
      DockerfileError,
    );
    assertEquals(err.line, 2);
    assertEquals(/--link/.test(err.message) && /numeric ids/.test(err.message), true, err.message);
  }
  for (const chown of ["1000", "1000:1000", "root", "0:root"]) {
    await convert(`FROM busybox\nCOPY --link --chown=${chown} a /x\n`);
  }
  await convert(`FROM busybox\nCOPY --chown=app a /x\n`); // without --link the stage's /etc/passwd resolves it
});
