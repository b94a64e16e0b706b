import { assertEquals } from "../../test/util/assert.ts";
import { lintDockerfile, type LintOptions } from "./mod.ts";

function lint(source: string, opts: LintOptions = {}): string[] {
  const r = lintDockerfile(source, { baseEnv: () => [], platform: "linux/amd64", ...opts });
  return r.warnings.map((w) => `${w.rule} ${w.line}: ${w.message}`);
}

Deno.test("UndefinedArgInFrom: declared, predefined and defaulted ARGs are fine", () => {
  for (
    const ok of [
      "ARG base=scratch\nFROM $base\nCOPY Dockerfile .\n",
      "ARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\n",
      "FROM --platform=$BUILDPLATFORM scratch\n",
      "ARG DEBUG\nFROM scratch${DEBUG}\n",
      "ARG DEBUG\nFROM scra${DEBUG:-tch}\n",
      'ARG DEBUG=""\nFROM scratch${DEBUG-@bogus}\n',
    ]
  ) assertEquals(lint(ok), [], ok);
});

Deno.test("UndefinedArgInFrom: undeclared names, with BuildKit's suggestion", () => {
  const r = lintDockerfile("FROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n", { baseEnv: () => [] });
  assertEquals(r.warnings.map((w) => `${w.rule} ${w.line}: ${w.message}`), [
    "UndefinedArgInFrom 1: FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)",
  ]);
  // The platform expands to nothing: the build cannot go on.
  assertEquals(r.error?.message, "Dockerfile:1: empty platform value from expression $BULIDPLATFORM");
  assertEquals(
    lint("ARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\n")[0],
    "UndefinedArgInFrom 3: FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)",
  );
  assertEquals(lint("ARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n"), [
    "UndefinedArgInFrom 2: FROM argument 'version' is not declared",
  ]);
});

Deno.test("InvalidDefaultArgInFrom: judged with defaults only, whatever --build-arg says", () => {
  assertEquals(lint("ARG VERSION\nFROM busybox:$VERSION\n", { buildArgs: { VERSION: "latest" } }), [
    "InvalidDefaultArgInFrom 2: Default value for ARG busybox:$VERSION results in empty or invalid base image name",
  ]);
  assertEquals(lint("ARG IMAGE\nFROM $IMAGE\n", { buildArgs: { IMAGE: "busybox:latest" } }), [
    "InvalidDefaultArgInFrom 2: Default value for ARG $IMAGE results in empty or invalid base image name",
  ]);
  assertEquals(lint('ARG SFX="box:"\nFROM busy${SFX}\n', { buildArgs: { SFX: "box:latest" } }), [
    "InvalidDefaultArgInFrom 2: Default value for ARG busy${SFX} results in empty or invalid base image name",
  ]);
  assertEquals(lint('ARG VERSION="latest"\nFROM busybox:${VERSION}\n', { buildArgs: { VERSION: "latest" } }), []);
  assertEquals(lint('ARG V=""\nFROM busybox:stable${V}\n', { buildArgs: { V: "-musl" } }), []);
  assertEquals(lint("ARG V\nFROM busybox:stable${V}\n", { buildArgs: { V: "-musl" } }), []);
});

Deno.test("RedundantTargetPlatform: $TARGETPLATFORM alone", () => {
  assertEquals(lint("FROM --platform=$TARGETPLATFORM scratch\n"), [
    "RedundantTargetPlatform 1: Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
  ]);
  assertEquals(lint("FROM --platform=${TARGETPLATFORM} scratch\n"), [
    "RedundantTargetPlatform 1: Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior",
  ]);
  assertEquals(lint("FROM --platform=$BUILDPLATFORM scratch\n"), []);
  assertEquals(lint("FROM --platform=${TARGETOS}/${TARGETARCH} scratch\n"), []);
});

Deno.test("FromPlatformFlagConstDisallowed unless the stage name mentions the OS or architecture", () => {
  assertEquals(lint("FROM --platform=linux/amd64 scratch\n"), [
    'FromPlatformFlagConstDisallowed 1: FROM --platform flag should not use constant value "linux/amd64"',
  ]);
  assertEquals(lint("FROM --platform=linux/amd64 scratch AS my_amd64_stage\n"), []);
  assertEquals(lint("FROM --platform=linux/amd64 scratch AS linux\n"), []);
  assertEquals(lint("ARG P=linux/amd64\nFROM --platform=$P scratch\n"), []);
});
