/**
 * The `# check=` parser directive and the `BUILDKIT_DOCKERFILE_CHECK` build arg: which rules to skip, which
 * experimental rules to enable, and whether warnings fail the build (BuildKit's linter.ParseLintOptions).
 *
 * @module
 */
import { TsbuildError } from "../../errors.ts";
import { type LintRule, RULES } from "./rules.ts";

/** What a check directive asks for. */
export interface CheckConfig {
  skipAll: boolean;
  skip: string[];
  experimentalAll: boolean;
  experimental: string[];
  errorOnWarn: boolean;
}

/** A `check=` value BuildKit would refuse; the build fails with it before any rule runs. */
export class CheckOptionError extends TsbuildError {
  constructor(readonly source: string, detail: string) {
    super(`failed to parse check options from ${source}: ${detail}`);
  }
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

const csv = (v: string) => v.split(",").map((r) => r.trim());

/**
 * Parses `skip=A,B;error=true;experimental=all`. At most three `;` parts are read, as BuildKit splits with
 * SplitN(…, 3): a fourth part stays glued to the third and makes it invalid. `source` names where the text came
 * from, for the error message.
 */
export function parseCheckConfig(text: string, source = "check directive"): CheckConfig {
  const config: CheckConfig = {
    skipAll: false,
    skip: [],
    experimentalAll: false,
    experimental: [],
    errorOnWarn: false,
  };
  text = text.trim();
  if (text === "") return config;
  const parts = text.split(";");
  const limited = parts.length > 3 ? [...parts.slice(0, 2), parts.slice(2).join(";")] : parts;
  for (const part of limited) {
    const eq = part.indexOf("=");
    if (eq < 0) throw new CheckOptionError(source, `invalid check option ${JSON.stringify(part)}`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "skip") {
      if (value === "all") config.skipAll = true;
      else config.skip = csv(value);
    } else if (key === "experimental") {
      if (value === "all") config.experimentalAll = true;
      else config.experimental = csv(value);
    } else if (key === "error") {
      if (TRUE.has(value)) config.errorOnWarn = true;
      else if (FALSE.has(value)) config.errorOnWarn = false;
      else {
        throw new CheckOptionError(
          source,
          `failed to parse check option ${JSON.stringify(part)}: strconv.ParseBool: parsing ${
            JSON.stringify(value)
          }: invalid syntax`,
        );
      }
    } else {
      throw new CheckOptionError(source, `invalid check option ${JSON.stringify(key)}`);
    }
  }
  return config;
}

/** Whether a rule runs under `config`: experimental ones only when enabled, the others unless skipped. */
export function ruleEnabled(rule: LintRule, config: CheckConfig): boolean {
  if (rule.experimental) return config.experimentalAll || config.experimental.includes(rule.name);
  return !config.skipAll && !config.skip.includes(rule.name);
}

/** Names of the known rules that `config` turns off (skipped, or experimental and not enabled). */
export function skippedRules(config: CheckConfig): string[] {
  return Object.values(RULES).filter((r) => !ruleEnabled(r, config)).map((r) => r.name);
}
