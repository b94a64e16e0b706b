/**
 * BuildKit's build-check rules (frontend/dockerfile/linter/ruleset.go): names, descriptions, documentation URLs and
 * message wording, kept identical so that tools and people reading BuildKit's output read ours the same way.
 *
 * @module
 */

/** One build-check rule. */
export interface LintRule {
  name: string;
  description: string;
  url: string;
  /** Experimental rules run only when `# check=experimental=<name|all>` asks for them (and ignore `skip`). */
  experimental: boolean;
}

const docs = (slug: string) => `https://docs.docker.com/go/dockerfile/rule/${slug}/`;

function rule(name: string, description: string, slug: string, experimental = false): LintRule {
  return { name, description, url: docs(slug), experimental };
}

/** Every rule this linter knows, by name. */
export const RULES = {
  StageNameCasing: rule("StageNameCasing", "Stage names should be lowercase", "stage-name-casing"),
  FromAsCasing: rule(
    "FromAsCasing",
    "The 'as' keyword should match the case of the 'from' keyword",
    "from-as-casing",
  ),
  NoEmptyContinuation: rule(
    "NoEmptyContinuation",
    "Empty continuation lines will become errors in a future release",
    "no-empty-continuation",
  ),
  ConsistentInstructionCasing: rule(
    "ConsistentInstructionCasing",
    "All commands within the Dockerfile should use the same casing (either upper or lower)",
    "consistent-instruction-casing",
  ),
  DuplicateStageName: rule("DuplicateStageName", "Stage names should be unique", "duplicate-stage-name"),
  ReservedStageName: rule(
    "ReservedStageName",
    "Reserved words should not be used as stage names",
    "reserved-stage-name",
  ),
  JSONArgsRecommended: rule(
    "JSONArgsRecommended",
    "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    "json-args-recommended",
  ),
  MaintainerDeprecated: rule(
    "MaintainerDeprecated",
    "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    "maintainer-deprecated",
  ),
  UndefinedArgInFrom: rule("UndefinedArgInFrom", "FROM command must use declared ARGs", "undefined-arg-in-from"),
  WorkdirRelativePath: rule(
    "WorkdirRelativePath",
    "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    "workdir-relative-path",
  ),
  UndefinedVar: rule("UndefinedVar", "Variables should be defined before their use", "undefined-var"),
  MultipleInstructionsDisallowed: rule(
    "MultipleInstructionsDisallowed",
    "Multiple instructions of the same type should not be used in the same stage",
    "multiple-instructions-disallowed",
  ),
  LegacyKeyValueFormat: rule(
    "LegacyKeyValueFormat",
    "Legacy key/value format with whitespace separator should not be used",
    "legacy-key-value-format",
  ),
  RedundantTargetPlatform: rule(
    "RedundantTargetPlatform",
    "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    "redundant-target-platform",
  ),
  SecretsUsedInArgOrEnv: rule(
    "SecretsUsedInArgOrEnv",
    "Sensitive data should not be used in the ARG or ENV commands",
    "secrets-used-in-arg-or-env",
  ),
  InvalidDefaultArgInFrom: rule(
    "InvalidDefaultArgInFrom",
    "Default value for global ARG results in an empty or invalid base image name",
    "invalid-default-arg-in-from",
  ),
  FromPlatformFlagConstDisallowed: rule(
    "FromPlatformFlagConstDisallowed",
    "FROM --platform flag should not use a constant value",
    "from-platform-flag-const-disallowed",
  ),
  ExposeProtoCasing: rule(
    "ExposeProtoCasing",
    "Protocol in EXPOSE instruction should be lowercase",
    "expose-proto-casing",
  ),
  ExposeInvalidFormat: rule(
    "ExposeInvalidFormat",
    "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    "expose-invalid-format",
  ),
  CopyIgnoredFile: rule(
    "CopyIgnoredFile",
    "Attempting to Copy file that is excluded by .dockerignore",
    "copy-ignored-file",
    true,
  ),
  InvalidDefinitionDescription: rule(
    "InvalidDefinitionDescription",
    "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
    "invalid-definition-description",
    true,
  ),
} as const satisfies Record<string, LintRule>;

/** A rule's name. */
export type RuleName = keyof typeof RULES;

/** Go's %q for the ASCII strings these messages quote. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** The short messages ("detail" in BuildKit's lint results), worded exactly as BuildKit formats them. */
export const MESSAGES = {
  StageNameCasing: (stage: string) => `Stage name '${stage}' should be lowercase`,
  FromAsCasing: (from: string, as: string) => `'${as}' and '${from}' keywords' casing do not match`,
  NoEmptyContinuation: () => "Empty continuation line",
  ConsistentInstructionCasing: (command: string, casing: "lowercase" | "uppercase") =>
    `Command '${command}' should match the case of the command majority (${casing})`,
  DuplicateStageName: (stage: string) => `Duplicate stage name ${goQuote(stage)}, stage names should be unique`,
  ReservedStageName: (stage: string) => `Stage name should not use the same name as reserved stage ${goQuote(stage)}`,
  JSONArgsRecommended: (instruction: string) =>
    `JSON arguments recommended for ${instruction} to prevent unintended behavior related to OS signals`,
  MaintainerDeprecated: () => "Maintainer instruction is deprecated in favor of using label",
  UndefinedArgInFrom: (arg: string, suggestion?: string) =>
    `FROM argument '${arg}' is not declared` + (suggestion ? ` (did you mean ${suggestion}?)` : ""),
  WorkdirRelativePath: (workdir: string) =>
    `Relative workdir ${goQuote(workdir)} can have unexpected results if the base image changes`,
  UndefinedVar: (name: string, suggestion?: string) =>
    `Usage of undefined variable '$${name}'` + (suggestion ? ` (did you mean $${suggestion}?)` : ""),
  MultipleInstructionsDisallowed: (instruction: string) =>
    `Multiple ${instruction} instructions should not be used in the same stage because only the last one will be used`,
  LegacyKeyValueFormat: (instruction: string) =>
    `"${instruction} key=value" should be used instead of legacy "${instruction} key value" format`,
  RedundantTargetPlatform: (platformVar: string) =>
    `Setting platform to predefined ${platformVar} in FROM is redundant as this is the default behavior`,
  SecretsUsedInArgOrEnv: (instruction: string, key: string) =>
    `Do not use ARG or ENV instructions for sensitive data (${instruction} ${goQuote(key)})`,
  InvalidDefaultArgInFrom: (baseName: string) =>
    `Default value for ARG ${baseName} results in empty or invalid base image name`,
  FromPlatformFlagConstDisallowed: (platform: string) =>
    `FROM --platform flag should not use constant value ${goQuote(platform)}`,
  ExposeProtoCasing: (port: string) => `Defined protocol '${port}' in EXPOSE instruction should be lowercase`,
  ExposeInvalidFormat: (port: string) =>
    `EXPOSE instruction should not define an IP address or host-port mapping, found '${port}'`,
  CopyIgnoredFile: (command: "Copy" | "Add", file: string) =>
    `Attempting to ${command} file ${goQuote(file)} that is excluded by .dockerignore`,
  InvalidDefinitionDescription: (instruction: string, name: string) =>
    `Comment for ${instruction} should follow the format: \`# ${name} <description>\``,
} as const satisfies Record<RuleName, (...args: never[]) => string>;
