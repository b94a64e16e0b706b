import { assertEquals } from "../../test/util/assert.ts";
import { outlineDockerfile } from "./convert.ts";
import { formatOutline, type Outline } from "./outline.ts";
import { AMD64, imageConfig } from "./testing.ts";

/** The outline of `dockerfile` for `target`; every base image resolves to a busybox-like config. */
function outline(dockerfile: string, opts: { target?: string; buildArgs?: Record<string, string> } = {}) {
  return outlineDockerfile({
    dockerfile,
    dockerfilePath: "Dockerfile",
    buildArgs: opts.buildArgs ?? {},
    target: opts.target,
    labels: {},
    platform: AMD64,
    buildPlatform: AMD64,
    contextPath: "/ctx",
    contextExcludes: [],
    resolveImage: (ref) =>
      Promise.resolve({ ref, digest: "sha256:" + "1".repeat(64), config: imageConfig({ Env: ["PATH=/bin"] }) }),
  });
}

const args = (o: Outline) => (o.args ?? []).map((a) => [a.name, a.value ?? "", a.description ?? ""]);

const DOCKERFILE = `# syntax=docker/dockerfile:1

# REGISTRY the base comes from
ARG REGISTRY=example.org
ARG IMG=\${REGISTRY}/busybox
ARG UNUSED=never
ARG TAG=1

# build compiles the app
FROM \${IMG}:\${TAG} AS build
# GO_VERSION the toolchain
ARG GO_VERSION=1.22
ARG TAG
RUN --mount=type=secret,id=aws,required=true --mount=type=ssh echo build

FROM busybox AS other
ARG OTHER=o
RUN --mount=type=secret,id=npmrc --mount=type=secret,id=aws echo other

FROM busybox AS unreachable
ARG NEVER=1
RUN --mount=type=secret,id=never echo

#

# release is what ships
FROM build AS release
# VERSION of the app
ARG VERSION
COPY --from=other /a /b
`;

Deno.test("outline: the target's args (used globals, its own, its base's and --from stages'), sorted by line", async () => {
  const o = await outline(DOCKERFILE);
  assertEquals([o.name, o.description], ["release", "is what ships"]);
  assertEquals(args(o), [
    // IMG names REGISTRY, so using IMG in a FROM uses REGISTRY too; UNUSED is never listed.
    ["REGISTRY", "example.org", "the base comes from"],
    ["IMG", "example.org/busybox", ""],
    // `ARG TAG` without a default in the stage shows the global definition.
    ["TAG", "1", ""],
    ["GO_VERSION", "1.22", "the toolchain"],
    ["OTHER", "o", ""],
    ["VERSION", "", "of the app"],
  ]);
  assertEquals(o.args![0].location, { ranges: [{ start: { line: 4 }, end: { line: 4 } }] });
  assertEquals(o.secrets?.map((s) => [s.name, s.required ?? false]), [["aws", true], ["npmrc", false]]);
  assertEquals(o.ssh?.map((s) => s.name), ["default"]);
  assertEquals(atob(o.sources![0]), DOCKERFILE);
});

Deno.test("outline: --build-arg values and --target", async () => {
  const o = await outline(DOCKERFILE, { target: "build", buildArgs: { TAG: "2", GO_VERSION: "1.23", VERSION: "9" } });
  assertEquals([o.name, o.description], ["build", "compiles the app"]);
  assertEquals(args(o), [
    ["REGISTRY", "example.org", "the base comes from"],
    ["IMG", "example.org/busybox", ""],
    ["GO_VERSION", "1.23", "the toolchain"],
    // Given on the command line, the stage's own ARG TAG is listed at its own line.
    ["TAG", "2", ""],
  ]);
  assertEquals(o.args![3].location.ranges[0].start.line, 13);
  assertEquals(o.secrets?.map((s) => s.name), ["aws"]);
});

Deno.test("outline: buildx's text, Go tabwriter columns and a blank line after each table", async () => {
  const text = formatOutline(await outline(DOCKERFILE, { target: "other" }));
  assertEquals(
    text,
    "TARGET: other\n\n" +
      "BUILD ARG   VALUE   DESCRIPTION\n" +
      "OTHER       o       \n\n" +
      "SECRET   REQUIRED\n" +
      "npmrc    \n" +
      "aws      \n\n",
  );
  // An unnamed default target with nothing to take prints nothing.
  assertEquals(formatOutline(await outline("FROM busybox\nRUN true\n")), "");
  // Description without a name: buildx shows the target as (default).
  assertEquals(formatOutline({ description: "x" }), "TARGET:      (default)\nDESCRIPTION: x\n\n");
});
