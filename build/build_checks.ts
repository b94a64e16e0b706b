/**
 * BuildKit's build checks as a build runs them: after the Dockerfile is converted (so the base images' environments
 * are known for UndefinedVar), warnings reported on the progress stream and summarised after the build, and
 * `check=error=true` failing the build before any step runs.
 *
 * @module
 */
import {
  CheckOptionError,
  formatWarnings,
  lintDockerfile,
  type LintResult,
  LintViolationError,
  type LintWarning,
  shortWarning,
} from "../frontend/lint/mod.ts";

/** What the build checks need to know of one build. */
export interface BuildCheckInput {
  source: string;
  /** The Dockerfile's name as messages show it. */
  file: string;
  buildArgs: Record<string, string>;
  target?: string;
  dockerignore: string[];
  platform: string;
  /** The Env of each base image the build resolved, by the name its FROM gave. */
  baseEnvs: Map<string, string[]>;
  /** `--check`: every stage when no target is given, as `docker build --check` lints. */
  allStages?: boolean;
  /**
   * Looks up the Env of a base image the build did not resolve (stages `--check` lints but the target does not
   * reach); undefined when it cannot be found, which only turns UndefinedVar off for that stage.
   */
  resolveEnv?: (image: string) => Promise<string[] | undefined>;
}

/** The checks' findings for a build. */
export interface BuildChecks {
  warnings: LintWarning[];
  /** `check=error=true` with warnings: the build fails with this after printing them. */
  violation?: LintViolationError;
}

/**
 * Runs the build checks. A configuration error (`# check=` that cannot be parsed) is thrown, as BuildKit fails such a
 * build; any other error the checker meets is left to the conversion, which owns the Dockerfile's real errors.
 */
export async function runBuildChecks(input: BuildCheckInput): Promise<BuildChecks> {
  const unknown = new Set<string>();
  const lint = (): LintResult =>
    lintDockerfile(input.source, {
      file: input.file,
      buildArgs: input.buildArgs,
      target: input.target,
      dockerignore: input.dockerignore,
      platform: input.platform,
      allStages: input.allStages,
      baseEnv: (_stage, _index, image) => {
        if (!input.baseEnvs.has(image)) unknown.add(image);
        return input.baseEnvs.get(image);
      },
    });
  let result = lint();
  if (unknown.size && input.resolveEnv) {
    for (const image of unknown) {
      const env = await input.resolveEnv(image).catch(() => undefined);
      if (env) input.baseEnvs.set(image, env);
    }
    result = lint();
  }
  if (result.error instanceof CheckOptionError) throw result.error;
  const violation = result.errorOnWarn && result.warnings.length ? new LintViolationError(result.warnings) : undefined;
  return { warnings: result.warnings, violation };
}

/** Each warning as the one line a build's progress shows (`Rule: message (line N)`). */
export function progressLines(checks: BuildChecks): string[] {
  return checks.warnings.map(shortWarning);
}

/** The summary printed after a build (empty without warnings), or the `--check` report. */
export function checkReport(checks: BuildChecks, file: string, source: string, mode: "build" | "check"): string {
  return formatWarnings(checks.warnings, file, source, { mode, debug: false });
}
