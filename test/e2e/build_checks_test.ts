/**
 * BuildKit's build checks as a user meets them, as root and as an unprivileged user: warnings in the progress and
 * summarised after a build that still succeeds, UndefinedVar knowing the base image's environment from the
 * registry, `--check` / `--call=check` reporting on stdout without building (every stage, exit 1 on warnings),
 * `--call=targets` and `--call=outline` answering without building,
 * `check=error=true` failing before any step runs, BUILDKIT_DOCKERFILE_CHECK and a broken `# check=` directive.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const WARNS = `FROM ${base} as build
ENV GREETING="hello $NOPE" P=$PATH
WORKDIR app
RUN echo built > out

FROM ${base} AS unused
COPY $ALSO_NOPE /x

FROM build
CMD echo hi
`;

for (const as of ["root", "user"] as const) {
  Deno.test(`build checks: warnings, --check, check=error=true (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile": WARNS,
      "clean.Dockerfile": `FROM ${base} AS b\nENV P=$PATH\nCMD ["true"]\n`,
      "strict.Dockerfile": `# check=error=true\nFROM ${base}\nENV X=$NOPE\nRUN echo should-not-run\n`,
      "broken.Dockerfile": `# check=skip=FromAsCasing;bogus=1\nFROM ${base}\n`,
      "outline.Dockerfile": `ARG BASE=${base}\n# app serves it\nFROM \${BASE} AS app\n# V the version\nARG V=1\n` +
        `RUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n`,
    });
    const store = await makeStore(owner);
    const tsbuild = (...args: string[]) =>
      runTsbuild(["build", "--root", store, "--progress", "plain", ...args], { as });
    try {
      // A build that warns still builds; the warnings are in the progress, then summarised as buildx does.
      const built = await tsbuild(ctx);
      assertEquals(built.code, 0, built.stderr);
      assertStringIncludes(
        built.stderr,
        "WARNING: FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
      );
      const summary = built.stderr.slice(built.stderr.indexOf(" 4 warnings found (use docker --debug to expand):"));
      assert(summary.length > 0, built.stderr);
      assertEquals(summary.split("\n").filter((l) => l.startsWith(" - ")), [
        " - FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 1)",
        " - UndefinedVar: Usage of undefined variable '$NOPE' (line 2)",
        ' - WorkdirRelativePath: Relative workdir "app" can have unexpected results if the base image changes (line 3)',
        " - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 10)",
      ]);
      // $PATH comes from the base image's config, so it is not undefined; the unused stage is not linted by a build.
      assert(!built.stderr.includes("$PATH") && !built.stderr.includes("ALSO_NOPE"), built.stderr);

      // --check lints every stage, builds nothing, reports on stdout and fails on warnings.
      const checked = await tsbuild("--check", ctx);
      assertEquals(checked.code, 1, checked.stderr);
      assert(checked.stdout.startsWith("Check complete, 5 warnings have been found!\n"), checked.stdout);
      assertStringIncludes(
        checked.stdout,
        "WARNING: UndefinedVar - https://docs.docker.com/go/dockerfile/rule/undefined-var/\nUsage of undefined variable '$ALSO_NOPE'\nDockerfile:7\n",
      );
      assertStringIncludes(checked.stdout, "   7 | >>> COPY $ALSO_NOPE /x\n");
      assert(!checked.stderr.includes("#1 "), `--check ran steps: ${checked.stderr}`);
      // format=json: BuildKit's lint result (rule, detail, location, the Dockerfile as the source), still exit 1.
      const lintJson = await tsbuild("--call=check,format=json", ctx);
      assertEquals(lintJson.code, 1, lintJson.stderr);
      const results = JSON.parse(lintJson.stdout);
      assertEquals(
        results.warnings.map((w: { ruleName: string; location: { ranges: { start: { line: number } }[] } }) =>
          `${w.ruleName}:${w.location.ranges[0].start.line}`
        ),
        ["FromAsCasing:1", "UndefinedVar:2", "WorkdirRelativePath:3", "UndefinedVar:7", "JSONArgsRecommended:10"],
      );
      assertEquals(results.warnings[3].detail, "Usage of undefined variable '$ALSO_NOPE'");
      assertEquals(atob(results.sources[0].data), WARNS);
      const targeted = await tsbuild("--call=check", "--target", "unused", ctx);
      assertEquals(targeted.code, 1);
      // FROM-line rules see every stage; the others only the stages the target needs.
      assert(targeted.stdout.startsWith("Check complete, 2 warnings have been found!\n"), targeted.stdout);
      assert(!targeted.stdout.includes("variable '$NOPE'"), targeted.stdout);
      const clean = await tsbuild("--check", "-f", `${ctx}/clean.Dockerfile`, ctx);
      assertEquals([clean.code, clean.stdout], [0, "Check complete, no warnings found.\n"], clean.stderr);
      const skipped = await tsbuild("--check", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all", ctx);
      assertEquals([skipped.code, skipped.stdout], [0, "Check complete, no warnings found.\n"], skipped.stderr);

      // check=error=true: the warnings are printed, then the build fails before any step runs.
      const strict = await tsbuild("-f", `${ctx}/strict.Dockerfile`, ctx);
      assertEquals(strict.code, 1, strict.stderr);
      assertStringIncludes(strict.stderr, " - UndefinedVar: Usage of undefined variable '$NOPE' (line 3)");
      assertStringIncludes(strict.stderr, "lint violation found for rules: UndefinedVar");
      assert(!strict.stderr.includes("should-not-run"), strict.stderr);

      const broken = await tsbuild("-f", `${ctx}/broken.Dockerfile`, ctx);
      assertEquals(broken.code, 1, broken.stderr);
      assertStringIncludes(broken.stderr, "failed to parse check options from # check= directive");

      const usage = await tsbuild("--call=outlines", ctx);
      assertEquals(usage.code, 2, usage.stderr);
      assertStringIncludes(usage.stderr, "--call outlines: use build, check, targets or outline");

      // --call=outline: the target's build args (values from the registry-resolved conversion and --build-arg),
      // secrets and SSH, as buildx prints them; nothing is built.
      const outline = await tsbuild("--call=outline", "-f", `${ctx}/outline.Dockerfile`, "--build-arg", "V=2", ctx);
      assertEquals(outline.code, 0, outline.stderr);
      assertEquals(
        outline.stdout,
        "TARGET:      app\nDESCRIPTION: serves it\n\n" +
          `BUILD ARG   VALUE${" ".repeat(base.length - 2)}DESCRIPTION\n` +
          `BASE        ${base}   \n` +
          `V           2${" ".repeat(base.length - 1 + 3)}the version\n\n` +
          "SECRET   REQUIRED\ntoken    true\n\n",
      );
      assert(!outline.stderr.includes("#1 "), `--call=outline ran steps: ${outline.stderr}`);
      const json = await tsbuild("--call=outline,format=json", "-f", `${ctx}/outline.Dockerfile`, ctx);
      assertEquals(json.code, 0, json.stderr);
      assertEquals(JSON.parse(json.stdout).args.map((a: { name: string }) => a.name), ["BASE", "V"]);

      // --call=targets lists the stages on stdout (buildx's table), builds nothing and exits 0.
      const targets = await tsbuild("--call=targets", ctx);
      assertEquals(targets.code, 0, targets.stderr);
      assertStringIncludes(targets.stdout, "TARGET");
      assertStringIncludes(targets.stdout, "(default)");
    } finally {
      await removeAll(store);
      await removeAll(ctx);
    }
  });
}
