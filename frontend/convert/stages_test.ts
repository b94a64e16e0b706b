import { assert, assertEquals, assertRejects } from "../../test/util/assert.ts";
import type { ImageVertex, LocalVertex } from "../../graph/mod.ts";
import { DockerfileError } from "../instructions/mod.ts";
import { convert, createdBy, filesOf, imageConfig } from "./testing.ts";

const MULTI = [
  "FROM busybox AS Base", //       1
  "ENV STAGE=base", //              2
  "FROM base AS build", //          3
  "RUN echo build > /out", //       4
  "FROM missing/image AS broken", // 5
  "RUN false", //                   6
  "FROM scratch AS final", //       7
  "COPY --from=BUILD /out /out", // 8
  "COPY --from=0 /bin/sh /sh", //   9
].join("\n") + "\n";

Deno.test("only stages the target reaches are converted, and only their images resolved", async () => {
  const { graph, resolved, target } = await convert(MULTI);
  assertEquals(resolved, ["busybox|linux/amd64"]);
  assertEquals(graph.stages.map((s) => [s.index, s.name]), [[0, "Base"], [1, "build"], [3, "final"]]);
  assertEquals(target.index, 3);
  const [fromBuild, fromZero] = filesOf(graph, target);
  const copies = [fromBuild, fromZero].map((f) => f.actions[0].action === "copy" ? f.actions[0].from : -1);
  assertEquals(copies, [graph.stages[1].root, graph.stages[0].root]);
});

Deno.test("--target picks a stage case-insensitively; a broken stage fails only when reached", async () => {
  const { target, resolved } = await convert(MULTI, { target: "BUILD" });
  assertEquals([target.name, resolved], ["build", ["busybox|linux/amd64"]]);
  // build inherits base: its env and history continue from the parent stage.
  assertEquals(target.image.env, ["PATH=/bin", "STAGE=base"]);
  assertEquals(createdBy(target), ["ENV STAGE=base", "RUN /bin/sh -c echo build > /out # buildkit"]);
  assertEquals([target.image.baseLayers, target.image.baseHistory.length], [1, 1]);
  const e = await assertRejects(() => convert(MULTI, { target: "broken" }), DockerfileError, "missing/image");
  assertEquals((e as DockerfileError).line, 5);
  await assertRejects(
    () => convert(MULTI, { target: "nope" }),
    DockerfileError,
    'target stage "nope" could not be found',
  );
  await assertRejects(() => convert(MULTI, { target: "finale" }), DockerfileError, "did you mean final?");
});

Deno.test("a stage built FROM another does not change it", async () => {
  const { graph } = await convert(
    "FROM busybox AS a\nENV X=1\nFROM a AS b\nENV X=2\nLABEL b=1\nFROM a\nCOPY --from=b / /\n",
  );
  assertEquals(graph.stages.map((s) => s.image.env.join(",")), ["PATH=/bin,X=1", "PATH=/bin,X=2", "PATH=/bin,X=1"]);
  assertEquals(graph.stages[0].history.length, 1);
  assertEquals(Object.keys(graph.stages[2].image.labels), []);
});

Deno.test("loops, later stages and out-of-range references are errors naming the line", async () => {
  const cases: [string, number, string][] = [
    // Current BuildKit (v0.13 on; dockerd 20.10 silently read the later stage's base instead).
    [
      "FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nFROM a\n",
      2,
      'cannot copy from stage "b", it needs to be defined before current stage "a"',
    ],
    [
      "FROM busybox AS first\nCOPY --from=1 / /\nFROM busybox\nFROM first\n",
      2,
      'cannot copy from stage "1", it needs to be defined before current stage "first"',
    ],
    [
      "FROM busybox AS a\nRUN --mount=from=b,target=/m true\nFROM busybox AS b\nFROM a\n",
      2,
      'cannot mount from stage "b"',
    ],
    // BuildKit's wording (dockerd 20.10 and current): the first stage of the loop, `stage-N` when unnamed.
    [
      "FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nCOPY --from=a / /\n",
      2,
      "circular dependency detected on stage: a",
    ],
    ["FROM later AS a\nFROM busybox AS later\nCOPY --from=a / /\n", 1, 'stage "later" is defined later (line 2)'],
    ["FROM busybox AS a\nRUN true\nCOPY --from=a / /x\n", 3, "circular dependency detected on stage: a"],
    ["FROM busybox\nCOPY --from=0 / /x\n", 2, "circular dependency detected on stage: stage-0"],
    ["FROM busybox\nCOPY --from=5 / /x\n", 2, "invalid --from=5"],
    ["FROM busybox AS build\nFROM busybox\nCOPY --from=Bad_Name! / /x\n", 3, "--from=Bad_Name!: no such stage"],
    ["FROM busybox AS build\nFROM busybox\nCOPY --from=BUILDD / /x\n", 3, "did you mean build?"],
    ["FROM busybox\nRUN --mount=from=nope!,target=/n true\n", 2, "--from=nope!: no such stage"],
  ];
  for (const [df, line, part] of cases) {
    const e = await assertRejects(() => convert(df), DockerfileError, part).catch((err) => {
      throw new Error(`${JSON.stringify(df)}: ${err.message}`);
    }) as DockerfileError;
    assertEquals(e.line, line, `${df}: ${e.message}`);
  }
});

Deno.test("COPY --from an image resolves it once for the stage's platform", async () => {
  const images = { busybox: imageConfig({}), "127.0.0.1:5000/tools:v1": imageConfig({}) };
  const { graph, resolved } = await convert(
    "FROM busybox\nCOPY --from=127.0.0.1:5000/tools:v1 /a /a\nCOPY --from=127.0.0.1:5000/tools:v1 /b /b\n",
    { images },
  );
  assertEquals(resolved, ["busybox|linux/amd64", "127.0.0.1:5000/tools:v1|linux/amd64"]);
  const refs = graph.vertices.filter((v): v is ImageVertex => v.kind === "image").map((v) => v.ref);
  assertEquals(refs, ["busybox", "127.0.0.1:5000/tools:v1"]);
});

Deno.test("FROM --platform expands ARGs and sets the stage platform", async () => {
  const arm = { os: "linux", architecture: "arm64" };
  const images = { busybox: imageConfig({}, 1, arm) };
  const { target, resolved } = await convert("ARG P=linux/arm64\nFROM --platform=$P busybox\n", { images });
  assertEquals(resolved, ["busybox|linux/arm64"]);
  assertEquals(target.image.platform, arm);
  const scratch = await convert("FROM --platform=$BUILDPLATFORM scratch\n", {
    buildPlatform: { os: "linux", architecture: "riscv64" },
  });
  assertEquals(scratch.target.image.platform, { os: "linux", architecture: "riscv64" });
  await assertRejects(() => convert("FROM --platform=linux/amd64,linux/arm64 busybox\n"), DockerfileError, "FROM --platform");
  await assertRejects(() => convert("ARG X\nFROM ${X}\n"), DockerfileError, "base name (${X}) should not be blank");
  await assertRejects(
    () => convert("ARG TAG=1\nFROM busybox:${TAGG}\n"),
    DockerfileError,
    "TAGG is not defined (did you mean TAG?)",
  );
});

Deno.test("named build contexts replace images and provide --from sources", async () => {
  const images = { busybox: imageConfig({}), "alpine:3": imageConfig({ Env: ["FROM=alpine"] }) };
  const { graph, target, resolved } = await convert(
    "FROM base\nCOPY --from=assets logo.png /srv/\nRUN --mount=from=assets,target=/a true\n",
    { images, buildContexts: { base: "docker-image://alpine:3", assets: "/srv/assets" } },
  );
  assertEquals(resolved, ["alpine:3|linux/amd64"]);
  assertEquals(target.image.env, ["FROM=alpine"]);
  const locals = graph.vertices.filter((v): v is LocalVertex => v.kind === "local");
  assertEquals(locals.map((l) => [l.name, l.path]), [["assets", "/srv/assets"]]);
});

Deno.test("ONBUILD triggers of the base run at the child's FROM, then are cleared", async () => {
  const images = {
    parent: imageConfig({ OnBuild: ["ENV FROM_TRIGGER=1", "COPY . /app/"], Env: ["PATH=/bin"] }),
  };
  const { graph, target } = await convert("FROM parent\nONBUILD RUN echo later\n", { images });
  assertEquals(target.image.env, ["PATH=/bin", "FROM_TRIGGER=1"]);
  assertEquals(target.image.onBuild, ["RUN echo later"]);
  // As in BuildKit, the triggers' steps are in the history and ONBUILD itself is not (config only).
  assertEquals(createdBy(target), ["ENV FROM_TRIGGER=1", "COPY . /app/ # buildkit"]);
  const copy = filesOf(graph, target)[0];
  assertEquals(copy.location?.startLine, 1);
  assert(graph.vertices.some((v) => v.kind === "local" && v.name === "context"));
});
