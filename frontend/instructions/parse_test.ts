import { assert, assertEquals, assertThrows } from "../../test/util/assert.ts";
import { parseDockerfile } from "../parser/mod.ts";
import { DockerfileError } from "./errors.ts";
import { parseDockerfileSpec } from "./parse.ts";
import type { CopyInstruction, HealthcheckInstruction, Instruction, RunInstruction } from "./types.ts";

function spec(text: string) {
  return parseDockerfileSpec(parseDockerfile(text, { file: "Dockerfile" }), "Dockerfile");
}

/** The instructions of the only stage of `FROM busybox` + `body`. */
function commands(body: string): Instruction[] {
  return spec(`FROM busybox\n${body}\n`).stages[0].commands;
}

/** The DockerfileError `text` raises, checking it names `line` and says `part`. */
function fails(text: string, line: number | undefined, part: string): DockerfileError {
  const e = assertThrows(() => spec(text), DockerfileError, part) as DockerfileError;
  assertEquals(e.line, line, e.message);
  assertEquals(e.file, "Dockerfile");
  return e;
}

Deno.test("stages: names are lowercased, meta ARGs come before the first FROM", () => {
  const s = spec("ARG V=1\nARG W\nFROM busybox:${V} AS Build\nRUN true\nFROM build\n");
  assertEquals(s.metaArgs.flatMap((a) => a.args.map((d) => d.key)), ["V", "W"]);
  assertEquals(s.stages.map((st) => [st.index, st.name ?? null, st.from.image]), [[0, "build", "busybox:${V}"], [
    1,
    null,
    "build",
  ]]);
  assertEquals(s.stages[0].commands.length, 1);
});

Deno.test("stages: errors name the line", () => {
  fails("FROM busybox AS a\nFROM busybox AS A\n", 2, 'duplicate stage name "A"');
  fails("ENV A=b\nFROM busybox\n", 1, "only ARG may come before FROM");
  fails("ARG A\n", undefined, "no FROM");
  fails("FROM busybox AS 1abc\n", 1, "invalid name for build stage");
  fails("FROM busybox AS\n", 1, "FROM requires either one or three arguments");
  fails("FROM a b c\n", 1, "FROM requires either one or three arguments");
});

Deno.test("unknown instruction: did-you-mean and the line", () => {
  const e = fails("FROM busybox\nRUN true\nCOPPY a b\n", 3, "unknown instruction: COPPY");
  assert(e.message.includes("did you mean COPY?"), e.message);
  const far = fails("FROM busybox\nFROBNICATE x\n", 2, "unknown instruction: FROBNICATE");
  assert(!far.message.includes("did you mean"), far.message);
});

Deno.test("flags: unknown, duplicate, missing values and bad booleans are errors naming the line", () => {
  fails("FROM busybox\nCOPY --form=a x y\n", 2, "unknown flag: --form");
  fails("FROM busybox\nRUN --networkk=none true\n", 2, "unknown flag: --networkk");
  fails("FROM busybox\n\nCOPY --from=a --from=b x y\n", 3, "duplicate flag specified: --from");
  fails("FROM busybox\nCOPY --from x y\n", 2, "missing a value on flag: --from");
  fails("FROM busybox\nCOPY --link=maybe x y\n", 2, "expecting boolean value");
  fails("FROM busybox\nCOPY --checksum=sha256:abc x y\n", 2, "unknown flag: --checksum");
  fails("FROM busybox\nWORKDIR --foo=1 /x\n", 2, "unknown flag: --foo");
  fails("FROM --plat=linux/amd64 busybox\n", 1, "unknown flag: --plat");
});

Deno.test("RUN: shell and exec form, mounts, network and security", () => {
  const [shell, exec, flagged] = commands(
    'RUN echo "$HOME" && ls\nRUN ["echo", "a b"]\nRUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none --security=insecure make',
  ) as RunInstruction[];
  assertEquals([shell.cmdLine, shell.prependShell], [['echo "$HOME" && ls'], true]);
  assertEquals([exec.cmdLine, exec.prependShell], [["echo", "a b"], false]);
  assertEquals([flagged.mounts, flagged.network, flagged.security], [
    [
      "type=cache,target=/c",
      "type=tmpfs,target=/t",
    ],
    "none",
    "insecure",
  ]);
  fails("FROM busybox\nRUN --network=bridge true\n", 2, 'unsupported network mode "bridge"');
  fails("FROM busybox\nRUN --security=yolo true\n", 2, 'unsupported security mode "yolo"');
  fails("FROM busybox\nRUN\n", 2, "RUN requires at least one argument");
});

Deno.test("COPY/ADD: sources, dest, flags, JSON form and heredocs", () => {
  const [copy, add, json, here] = commands(
    [
      "COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp a b /dst/",
      "ADD --checksum=sha256:0123abcd --keep-git-dir https://example.com/x.tgz /x",
      'COPY ["a b", "/c d/"]',
      "COPY <<EOF /etc/motd\nhi\nEOF",
    ].join("\n"),
  ) as CopyInstruction[];
  assertEquals(
    [copy.kind, copy.sources, copy.dest, copy.from, copy.chown, copy.chmod, copy.link, copy.parents, copy.excludes],
    ["copy", ["a", "b"], "/dst/", "build", "app:app", "0755", true, true, ["*.md", "tmp"]],
  );
  assertEquals([add.kind, add.checksum, add.keepGitDir, add.sources], [
    "add",
    "sha256:0123abcd",
    true,
    ["https://example.com/x.tgz"],
  ]);
  assertEquals([json.sources, json.dest], [["a b"], "/c d/"]);
  assertEquals([here.sources, here.heredocs.map((h) => [h.name, h.content])], [["<<EOF"], [["EOF", "hi\n"]]]);
  fails("FROM busybox\nCOPY onlyone\n", 2, "COPY requires at least two arguments");
  fails("FROM busybox\nCOPY --chmod=abc a b\n", 2, "invalid --chmod");
});

Deno.test("ENV/LABEL pairs, legacy ENV form, ARG declarations", () => {
  const [env, legacy, label, arg] = commands('ENV A=1 B="x y"\nENV OLD a b c\nLABEL "k"="v" x=y\nARG N M=2 Q=') as (
    & Instruction
    & Record<string, any>
  )[];
  assertEquals(env.pairs, [{ key: "A", value: "1" }, { key: "B", value: '"x y"' }]);
  assertEquals(legacy.pairs, [{ key: "OLD", value: "a b c" }]);
  assertEquals(label.pairs, [{ key: '"k"', value: '"v"' }, { key: "x", value: "y" }]);
  assertEquals(arg.args, [{ key: "N" }, { key: "M", value: "2" }, { key: "Q", value: "" }]);
});

Deno.test("HEALTHCHECK: durations in ns, CMD forms, NONE, and validation", () => {
  const [full, exec, none] = commands(
    "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1s --retries=4 CMD curl -f http://x/\n" +
      'HEALTHCHECK CMD ["/bin/check", "-q"]\nHEALTHCHECK NONE',
  ) as HealthcheckInstruction[];
  assertEquals([full.test, full.interval, full.timeout, full.startPeriod, full.startInterval, full.retries], [
    ["CMD-SHELL", "curl -f http://x/"],
    90e9,
    500e6,
    2e9,
    1e9,
    4,
  ]);
  assertEquals(exec.test, ["CMD", "/bin/check", "-q"]);
  assertEquals(none.test, ["NONE"]);
  fails("FROM busybox\nHEALTHCHECK --interval=10 CMD x\n", 2, "invalid duration for --interval");
  fails("FROM busybox\nHEALTHCHECK --timeout=1us CMD x\n", 2, "cannot be less than 1ms");
  fails("FROM busybox\nHEALTHCHECK --retries=-1 CMD x\n", 2, "--retries cannot be negative");
  fails("FROM busybox\nHEALTHCHECK RUN x\n", 2, 'unknown type "RUN" in HEALTHCHECK');
  fails("FROM busybox\nHEALTHCHECK --interval=5s NONE\n", 2, "HEALTHCHECK NONE takes no arguments");
});

Deno.test("SHELL needs JSON; ONBUILD keeps the trigger and refuses chaining; single-argument instructions", () => {
  const [shell, onbuild, cmd] = commands('SHELL ["/bin/bash", "-c"]\nONBUILD RUN echo hi\nCMD echo a b') as (
    & Instruction
    & Record<string, any>
  )[];
  assertEquals(shell.shell, ["/bin/bash", "-c"]);
  assertEquals(onbuild.expression, "RUN echo hi");
  assertEquals([cmd.cmdLine, cmd.prependShell], [["echo a b"], true]);
  fails("FROM busybox\nSHELL /bin/bash -c\n", 2, "SHELL requires the arguments to be in JSON form");
  fails("FROM busybox\nONBUILD ONBUILD RUN x\n", 2, "chaining ONBUILD");
  fails("FROM busybox\nONBUILD FROM x\n", 2, "FROM isn't allowed as an ONBUILD trigger");
  fails("FROM busybox\nUSER\n", 2, "USER requires exactly one argument");
});
