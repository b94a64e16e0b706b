import { assertEquals, assertRejects } from "../../test/util/assert.ts";
import type { ExecVertex, FileVertex } from "../../graph/mod.ts";
import { DockerfileError } from "../instructions/mod.ts";
import { convert, createdBy, execsOf } from "./testing.ts";

async function lastRun(body: string, opts: Parameters<typeof convert>[1] = {}): Promise<ExecVertex> {
  const { graph, target } = await convert(`FROM busybox AS tools\nFROM busybox\n${body}\n`, opts);
  const execs = execsOf(graph, target);
  return execs[execs.length - 1];
}

Deno.test("RUN: cwd, user, env and network come from the stage", async () => {
  const run = await lastRun("ENV A=1\nWORKDIR /src\nUSER 1000\nRUN --network=none --security=insecure make");
  assertEquals([run.args, run.cwd, run.user, run.network, run.security], [
    ["/bin/sh", "-c", "make"],
    "/src",
    "1000",
    "none",
    "insecure",
  ]);
  assertEquals(run.env, ["PATH=/bin", "A=1"]);
  const bare = await lastRun("RUN true", {
    images: { busybox: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } } },
  });
  assertEquals([bare.env, bare.cwd, bare.user, bare.network], [
    ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "/",
    "",
    "default",
  ]);
});

Deno.test("RUN --mount: sources resolved to vertices, options expanded with ARGs", async () => {
  const { graph, target } = await convert(
    [
      "FROM busybox AS tools",
      "FROM busybox",
      "ARG CACHE=/root/.cache",
      "RUN --mount=type=bind,target=/src --mount=type=bind,from=tools,source=/bin,target=/t --mount=type=cache,target=$CACHE,id=c1 --mount=type=secret,id=tok --mount=type=ssh true",
    ].join("\n"),
  );
  const run = execsOf(graph, target)[0];
  const ctx = graph.vertices.findIndex((v) => v.kind === "local");
  assertEquals(run.mounts, [
    { type: "bind", target: "/src", from: ctx, source: "/", readonly: true },
    { type: "bind", target: "/t", from: graph.stages[0].root, source: "/bin", readonly: true },
    {
      type: "cache",
      target: "/root/.cache",
      id: "c1",
      sharing: "shared",
      source: "/",
      mode: 0o755,
      uid: 0,
      gid: 0,
      readonly: false,
    },
    { type: "secret", id: "tok", required: false, mode: 0o400, uid: 0, gid: 0, target: "/run/secrets/tok" },
    { type: "ssh", id: "default", required: false, mode: 0o600, uid: 0, gid: 0 },
  ]);
  // The mount flags are not part of BuildKit's created_by.
  assertEquals(createdBy(target).at(-1), "RUN |1 CACHE=/root/.cache /bin/sh -c true # buildkit");
});

Deno.test("RUN heredocs: bare script, script with shebang, and a command reading heredocs", async () => {
  const bare = await lastRun("RUN <<EOF\necho one\necho two\nEOF");
  assertEquals(bare.args, ["/bin/sh", "-c", "echo one\necho two\n"]);

  const { graph, target } = await convert("FROM busybox\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n");
  const shebang = execsOf(graph, target)[0];
  // BuildKit: withShell is applied after the heredoc is turned into a script, so the shell runs the script.
  assertEquals(shebang.args, ["/bin/sh", "-c", "/dev/pipes/EOF"]);
  assertEquals(createdBy(target).at(-1), "RUN /bin/sh -c /dev/pipes/EOF # buildkit");
  const mount = shebang.mounts[0];
  assertEquals(mount.type === "bind" && [mount.target, mount.readonly], ["/dev/pipes", true]);
  const script = graph.vertices[mount.type === "bind" ? mount.from! : -1] as FileVertex;
  assertEquals([script.input, script.actions], [null, [{
    action: "mkfile",
    path: "/EOF",
    mode: 0o755,
    data: "#!/usr/bin/env python3\nprint(1)\n",
  }]]);

  const cat = await lastRun("RUN cat <<A >/a && cat <<B >/b\nfirst\nA\nsecond\nB");
  assertEquals(cat.args, ["/bin/sh", "-c", "cat <<A >/a && cat <<B >/b\nfirst\nA\nsecond\nB"]);
});

Deno.test("RUN errors name the line", async () => {
  const cases: [string, string][] = [
    ["RUN --mount=type=bind,target=/x,from=nope! true", "--from=nope!: no such stage"],
    ["RUN --mount=type=cache true", "mount target is required"],
    ["RUN --mount=type=cache,target=${X:?needX} true", "needX"],
  ];
  for (const [body, part] of cases) {
    const e = await assertRejects(() => convert(`FROM busybox\n${body}\n`), DockerfileError, part) as DockerfileError;
    assertEquals(e.line, 2, body);
  }
});
