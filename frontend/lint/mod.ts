/**
 * BuildKit's build checks ("Dockerfile lint"): the warnings `docker build` prints after a build and that
 * `docker build --check` reports without building, with BuildKit's rule names, messages, line numbers and
 * documentation URLs, honouring `# check=skip=…;error=…;experimental=…` and `BUILDKIT_DOCKERFILE_CHECK`.
 *
 * @example
 * ```ts
 * import { formatWarnings, lintDockerfile } from "./mod.ts";
 *
 * const source = "FROM busybox as base\nWORKDIR app\nCMD echo hi\n";
 * const { warnings, errorOnWarn } = lintDockerfile(source, { baseEnv: () => [] });
 * console.log(warnings.map((w) => `${w.rule}:${w.line}`));
 * // ["FromAsCasing:1", "WorkdirRelativePath:2", "JSONArgsRecommended:3"]
 * console.log(errorOnWarn); // false
 * console.log(formatWarnings(warnings, "Dockerfile", source));
 * console.log(formatWarnings(warnings, "Dockerfile", source, { mode: "check" }));
 * ```
 *
 * @module
 */
export { lintDockerfile, type LintOptions, type LintResult } from "./lint.ts";
export type { LineRange, LintWarning } from "./warning.ts";
export { type FormatOptions, formatWarnings, shortWarning, sourceExcerpt, warningsJson } from "./format.ts";
export { type CheckConfig, CheckOptionError, parseCheckConfig } from "./check_config.ts";
export { type LintRule, MESSAGES, type RuleName, RULES } from "./rules.ts";
export { isSecretKey } from "./secret_keys.ts";
export { LintViolationError } from "./errors.ts";
