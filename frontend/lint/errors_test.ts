import { assertEquals } from "../../test/util/assert.ts";
import { lintDockerfile, LintViolationError } from "./mod.ts";

Deno.test("LintViolationError names each violated rule once", () => {
  const r = lintDockerfile("# check=error=true\nFROM scratch as a\nCMD x\nCMD y\n");
  assertEquals(r.errorOnWarn, true);
  const e = new LintViolationError(r.warnings);
  assertEquals(
    e.message,
    "lint violation found for rules: FromAsCasing, JSONArgsRecommended, MultipleInstructionsDisallowed",
  );
  assertEquals(e.exitCode, 1);
});
