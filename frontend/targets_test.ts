import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { DockerfileError } from "./instructions/mod.ts";
import { formatTargets, listTargets } from "./targets.ts";

Deno.test("--call=targets: every stage in order, descriptions from `# <name> …` comments, the last one the default", () => {
  const df = [
    "# syntax=docker/dockerfile:1",
    "ARG BASE=busybox",
    "",
    "# base where it starts",
    "FROM ${BASE} AS base",
    "RUN true",
    "# unrelated comment",
    "# build compiles it",
    "FROM --platform=$BUILDPLATFORM base AS Build",
    "# not a description: no stage name",
    "FROM base",
    "",
  ].join("\n");
  const t = listTargets(df, "Dockerfile");
  assertEquals(t.map((x) => [x.name, x.description, x.default, x.base, x.platform ?? "", x.line]), [
    ["base", "where it starts", false, "${BASE}", "", 5],
    ["build", "compiles it", false, "base", "$BUILDPLATFORM", 9],
    ["", "", true, "base", "", 11],
  ]);
  assertEquals(
    formatTargets(t),
    "TARGET    DESCRIPTION\nbase      where it starts\nbuild     compiles it\n(default) \n",
  );
  assertEquals(formatTargets(listTargets("FROM a AS x\n", "Dockerfile")), "TARGET      DESCRIPTION\nx (default) \n");
  assertThrows(() => listTargets("RUN true\n", "Dockerfile"), DockerfileError);
});
