import { assertEquals } from "../../test/util/assert.ts";
import { formatWarnings, lintDockerfile, sourceExcerpt } from "./mod.ts";

const SOURCE = '# syntax=docker/dockerfile:1\n\nFROM alpine\nCMD echo "Hello, world!"\n';

Deno.test("build summary: BuildKit's progress=plain layout, singular and plural", () => {
  const { warnings } = lintDockerfile(SOURCE, { baseEnv: () => [] });
  assertEquals(
    formatWarnings(warnings, "Dockerfile", SOURCE),
    "\n 1 warning found (use docker --debug to expand):\n" +
      " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 4)\n",
  );
  const two = "FROM alpine AS Base\nMAINTAINER me\n";
  assertEquals(
    formatWarnings(lintDockerfile(two, { baseEnv: () => [] }).warnings, "Dockerfile", two),
    "\n 2 warnings found (use docker --debug to expand):\n" +
      " - StageNameCasing: Stage name 'Base' should be lowercase (line 1)\n" +
      " - MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label (line 2)\n",
  );
  assertEquals(formatWarnings([], "Dockerfile", two), "");
});

Deno.test("build summary with --debug: description, URL and the excerpt", () => {
  const { warnings } = lintDockerfile(SOURCE, { baseEnv: () => [] });
  assertEquals(
    formatWarnings(warnings, "Dockerfile", SOURCE, { debug: true }),
    "\n 1 warning found:\n" +
      " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 4)\n" +
      "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals\n" +
      "More info: https://docs.docker.com/go/dockerfile/rule/json-args-recommended/\n" +
      "Dockerfile:4\n" +
      "--------------------\n" +
      "   2 |     \n" +
      "   3 |     FROM alpine\n" +
      '   4 | >>> CMD echo "Hello, world!"\n' +
      "   5 |     \n" +
      "--------------------\n" +
      "\n",
  );
});

Deno.test("--check report: count, then each warning by line with its excerpt", () => {
  const src = "FROM alpine\nCOPY a \\\n  b /\nfrom alpine as Two\n";
  const { warnings } = lintDockerfile(src, { baseEnv: () => [] });
  assertEquals(
    formatWarnings(warnings, "app/Dockerfile", src, { mode: "check" }),
    "Check complete, 2 warnings have been found!\n" +
      "\nWARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\n" +
      "Stage name 'Two' should be lowercase\n" +
      "app/Dockerfile:4\n" +
      "--------------------\n" +
      "   2 |     COPY a \\\n" +
      "   3 |       b /\n" +
      "   4 | >>> from alpine as Two\n" +
      "   5 |     \n" +
      "--------------------\n" +
      "\nWARNING: ConsistentInstructionCasing - https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/\n" +
      "Command 'from' should match the case of the command majority (uppercase)\n" +
      "app/Dockerfile:4\n" +
      "--------------------\n" +
      "   2 |     COPY a \\\n" +
      "   3 |       b /\n" +
      "   4 | >>> from alpine as Two\n" +
      "   5 |     \n" +
      "--------------------\n",
  );
  assertEquals(formatWarnings([], "Dockerfile", src, { mode: "check" }), "Check complete, no warnings found.\n");
});

Deno.test("excerpts of multi-line instructions mark every line and pad by one", () => {
  const src = "FROM scratch\nENV A=1\nCMD echo \\\n  hi\nLABEL x=y\nUSER me\n";
  assertEquals(
    sourceExcerpt("Dockerfile", src, 3, 4),
    "Dockerfile:3\n--------------------\n" +
      "   2 |     ENV A=1\n   3 | >>> CMD echo \\\n   4 | >>>   hi\n   5 |     LABEL x=y\n" +
      "--------------------\n",
  );
  const w = lintDockerfile(src).warnings.find((w) => w.rule === "JSONArgsRecommended")!;
  assertEquals([w.line, w.endLine], [3, 4]);
});
