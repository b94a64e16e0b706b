import { assertEquals } from "../../test/util/assert.ts";
import { convert, createdBy, execsOf, imageConfig } from "./testing.ts";

/** The env of the target stage's only RUN. */
async function runEnv(dockerfile: string, buildArgs: Record<string, string> = {}): Promise<string[]> {
  const { graph, target } = await convert(dockerfile, { buildArgs });
  const execs = execsOf(graph, target);
  assertEquals(execs.length, 1);
  return execs[0].env;
}

Deno.test("global ARGs are usable in FROM, and --build-arg overrides their default", async () => {
  const images = { "busybox:1.36": imageConfig({}), "busybox:1.37": imageConfig({}) };
  const dflt = await convert("ARG TAG=1.36\nFROM busybox:${TAG}\n", { images });
  assertEquals(dflt.resolved, ["busybox:1.36|linux/amd64"]);
  const over = await convert("ARG TAG=1.36\nFROM busybox:${TAG}\n", { images, buildArgs: { TAG: "1.37" } });
  assertEquals(over.resolved, ["busybox:1.37|linux/amd64"]);
});

Deno.test("global ARGs must be redeclared inside a stage to be visible", async () => {
  const hidden = await runEnv("ARG V=global\nFROM busybox\nRUN echo $V\n");
  assertEquals(hidden.some((e) => e.startsWith("V=")), false);
  const shown = await runEnv("ARG V=global\nFROM busybox\nARG V\nRUN echo $V\n");
  assertEquals(shown.includes("V=global"), true, shown.join(" "));
  const overridden = await runEnv("ARG V=global\nFROM busybox\nARG V\nRUN echo $V\n", { V: "cli" });
  assertEquals(overridden.includes("V=cli"), true);
  const ownDefault = await runEnv("ARG V=global\nFROM busybox\nARG V=stage\nRUN echo $V\n");
  assertEquals(ownDefault.includes("V=stage"), true);
});

Deno.test("unset and empty ARGs differ: unset is absent from env, empty is KEY=", async () => {
  const env = await runEnv("FROM busybox\nARG UNSET\nARG EMPTY=\nRUN true\n");
  assertEquals(env.some((e) => e.startsWith("UNSET")), false);
  assertEquals(env.includes("EMPTY="), true);
  const { target } = await convert(
    "FROM busybox\nARG UNSET\nARG EMPTY=\nRUN true\nENV X=${UNSET-none}:${EMPTY-none}\n",
  );
  assertEquals(target.image.env.includes("X=none:"), true, target.image.env.join(" "));
});

Deno.test("build args reach RUN but never the image config; an ARG after an ENV of the same name wins in RUN (BuildKit)", async () => {
  // dockerd 20.10: `ENV B=from-env` then `ARG B=from-arg`: RUN and later expansions see from-arg, the config keeps
  // from-env (the ARG sets the LLB state's env, ENV sets both).
  const df = "FROM busybox\nARG A=1\nENV B=from-env\nARG B=from-arg\nRUN true\nENV C=$A$B\nARG B\nRUN true\n";
  const { graph, target } = await convert(df, { buildArgs: { A: "cli" } });
  const [env, env2] = execsOf(graph, target).map((e) => e.env);
  assertEquals([env.includes("A=cli"), env.includes("B=from-arg"), env.includes("B=from-env")], [true, true, false]);
  assertEquals(env2.includes("B=from-arg"), true, "a bare redeclaration keeps the value");
  assertEquals(target.image.env, ["PATH=/bin", "B=from-env", "C=clifrom-arg"]);
  // An ENV after the ARG wins again.
  const later = await convert("FROM busybox\nARG B=from-arg\nENV B=from-env\nRUN true\n");
  assertEquals(execsOf(later.graph, later.target)[0].env.includes("B=from-env"), true);
});

Deno.test("a stage built FROM another stage sees that stage's ARG values, though not in its RUN history line", async () => {
  // dockerd 20.10: `FROM parent` + `RUN echo $LEAK` printed the parent's ARG value; `ENV X=${LEAK:-unset}` too.
  const df = "FROM busybox AS parent\nARG LEAK=p\nFROM parent\nRUN echo $LEAK\nENV X=${LEAK:-unset}\n";
  const { graph, target } = await convert(df);
  assertEquals(execsOf(graph, target).at(-1)!.env.includes("LEAK=p"), true);
  assertEquals(target.image.env.includes("X=p"), true);
  assertEquals(createdBy(target).at(-2), "RUN /bin/sh -c echo $LEAK # buildkit");
});

Deno.test("automatic platform ARGs: global in FROM, redeclared in a stage", async () => {
  const arm = { os: "linux", architecture: "arm64" };
  const images = { "busybox-arm64": imageConfig({}, 1, arm) };
  const { graph, target, resolved } = await convert(
    "FROM busybox-${TARGETARCH}\nARG TARGETPLATFORM\nARG BUILDARCH\nRUN echo $TARGETPLATFORM\nENV T=${TARGETOS}\n",
    { images, platform: arm },
  );
  assertEquals(resolved, ["busybox-arm64|linux/arm64"]);
  const env = execsOf(graph, target)[0].env;
  assertEquals([env.includes("TARGETPLATFORM=linux/arm64"), env.includes("BUILDARCH=amd64")], [true, true]);
  // TARGETOS was not redeclared in the stage, so it expands to nothing there.
  assertEquals(target.image.env.includes("T="), true);
});

Deno.test("TARGETSTAGE (Dockerfile 1.11): the stage built, --target or the last one", async () => {
  const df =
    "FROM busybox AS build\nARG TARGETSTAGE\nENV S=$TARGETSTAGE\nFROM build AS final\nARG TARGETSTAGE\nENV F=$TARGETSTAGE\n";
  const last = await convert(df);
  assertEquals(last.target.image.env.filter((e) => /^[SF]=/.test(e)), ["S=final", "F=final"]);
  const build = await convert(df, { target: "build" });
  assertEquals(build.target.image.env.filter((e) => /^[SF]=/.test(e)), ["S=build"]);
});

Deno.test("proxy args pass to RUN undeclared but never into history; other undeclared args warn", async () => {
  const { graph, target, warnings } = await convert("FROM busybox\nARG USED=1\nRUN true\n", {
    buildArgs: { HTTP_PROXY: "http://proxy:3128", no_proxy: "localhost", UNUSED: "x", USED: "2" },
  });
  const env = execsOf(graph, target)[0].env;
  assertEquals([env.includes("HTTP_PROXY=http://proxy:3128"), env.includes("no_proxy=localhost")], [true, true]);
  assertEquals(createdBy(target), ["ARG USED=1", "RUN |1 USED=2 /bin/sh -c true # buildkit"]);
  assertEquals(warnings.map((w) => w.message), ["one or more build-args [UNUSED] were not consumed"]);
});

Deno.test("RUN history lists every declared ARG as the RUN sees it", async () => {
  const { target } = await convert('FROM busybox\nARG A=1 B\nARG C=3\nENV C=env\nRUN echo hi\nRUN ["echo", "x"]\n', {
    buildArgs: { B: "2" },
  });
  assertEquals(createdBy(target).slice(-2), [
    "RUN |3 A=1 B=2 C=env /bin/sh -c echo hi # buildkit",
    "RUN |3 A=1 B=2 C=env echo x # buildkit",
  ]);
});

Deno.test("ARG defaults expand with earlier ARGs and ENV; an unset ARG shows bare in history", async () => {
  const { target } = await convert(
    "FROM busybox\nENV HOME=/root\nARG DIR=$HOME/app NAME\nARG FULL=${DIR}/${NAME:-x}\n",
  );
  assertEquals(createdBy(target), ["ENV HOME=/root", "ARG DIR=/root/app NAME", "ARG FULL=/root/app/x"]);
});

Deno.test("a redeclared ARG is listed again in RUN's history line, each entry with the current value (BuildKit)", async () => {
  // BuildKit 20.10 and current: `RUN |3 V=2 W=w V=2 /bin/sh -c ...`; a bare redeclaration keeps the value.
  const df = "FROM busybox\nARG V=1\nARG W=w\nARG V=2\nRUN echo $V\nARG W\nRUN echo $W\n";
  const { graph, target } = await convert(df);
  assertEquals(createdBy(target).filter((c) => c.startsWith("RUN")), [
    "RUN |3 V=2 W=w V=2 /bin/sh -c echo $V # buildkit",
    "RUN |4 V=2 W=w V=2 W=w /bin/sh -c echo $W # buildkit",
  ]);
  const envs = execsOf(graph, target).map((e) => e.env.filter((x) => /^[VW]=/.test(x)));
  assertEquals(envs, [["V=2", "W=w"], ["V=2", "W=w"]]);
});
