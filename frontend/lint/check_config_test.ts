import { assert, assertEquals } from "../../test/util/assert.ts";
import { CheckOptionError, lintDockerfile, parseCheckConfig } from "./mod.ts";

const rules = (source: string, buildArgs?: Record<string, string>) => {
  const r = lintDockerfile(source, { buildArgs, baseEnv: () => [] });
  return { rules: r.warnings.map((w) => `${w.rule} ${w.line}`), errorOnWarn: r.errorOnWarn, error: r.error };
};

Deno.test("parseCheckConfig reads skip, error and experimental as BuildKit does", () => {
  assertEquals(parseCheckConfig(" skip = A, B ;error=TRUE ;experimental=all"), {
    skipAll: false,
    skip: ["A", "B"],
    experimentalAll: true,
    experimental: [],
    errorOnWarn: true,
  });
  assertEquals(parseCheckConfig("skip=all").skipAll, true);
  assertEquals(parseCheckConfig("").errorOnWarn, false);
  for (const bad of ["skip", "error=maybe", "fail=true"]) {
    let thrown: unknown;
    try {
      parseCheckConfig(bad);
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof CheckOptionError, bad);
  }
});

Deno.test("# check= directive: skip all, skip some, error=true (BuildKit's testRuleCheckOption)", () => {
  const body = "FROM scratch as base\ncopy Dockerfile .\n";
  assertEquals(rules("#check=skip=all\n" + body).rules, []);
  assertEquals(rules("#check=skip=all;error=true\n" + body), { rules: [], errorOnWarn: true, error: undefined });
  assertEquals(rules("#check=skip=ConsistentInstructionCasing,FromAsCasing\n" + body).rules, []);
  assertEquals(rules("#check=skip=ConsistentInstructionCasing\n" + body).rules, ["FromAsCasing 2"]);
  assertEquals(rules("#check=skip=ConsistentInstructionCasing;error=true\n" + body), {
    rules: ["FromAsCasing 2"],
    errorOnWarn: true,
    error: undefined,
  });
  assertEquals(rules(body).rules, ["FromAsCasing 1", "ConsistentInstructionCasing 2"]);
  // A look-alike after the first instruction is a plain comment.
  assertEquals(rules(body + "# check=skip=all\n").rules, ["FromAsCasing 1", "ConsistentInstructionCasing 2"]);
});

Deno.test("BUILDKIT_DOCKERFILE_CHECK replaces the directive entirely", () => {
  const body = "FROM scratch as base\ncopy Dockerfile .\n";
  assertEquals(
    rules("#check=skip=all\n" + body, { BUILDKIT_DOCKERFILE_CHECK: "skip=ConsistentInstructionCasing;error=true" }),
    { rules: ["FromAsCasing 2"], errorOnWarn: true, error: undefined },
  );
  assertEquals(rules("#check=error=true\n" + body, { BUILDKIT_DOCKERFILE_CHECK: "skip=all" }), {
    rules: [],
    errorOnWarn: false,
    error: undefined,
  });
});

Deno.test("an invalid check option is an error, not a throw", () => {
  const r = rules("# check=skip\nFROM scratch\n");
  assertEquals(r.rules, []);
  assertEquals(r.error?.message, 'failed to parse check options from # check= directive: invalid check option "skip"');
  const s = lintDockerfile("FROM scratch\n", { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: "error=yes please" } });
  assert(s.error instanceof CheckOptionError);
});

Deno.test("skipped lists the rules the configuration turns off", () => {
  assertEquals(lintDockerfile("# check=skip=StageNameCasing\nFROM scratch\n").skipped, [
    "StageNameCasing",
    "CopyIgnoredFile",
    "InvalidDefinitionDescription",
  ]);
  assertEquals(lintDockerfile("# check=experimental=all\nFROM scratch\n").skipped, []);
});
