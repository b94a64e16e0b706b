import type { Node } from "../frontend/mod.ts";
import { isSecretKey, MESSAGES } from "../frontend/lint/mod.ts";

/** One ARG or ENV that looks like it carries a secret. */
export interface SecretLintWarning {
  line: number;
  instruction: "ARG" | "ENV";
  name: string;
  message: string;
}

/**
 * SecretsUsedInArgOrEnv alone, for callers that still want only this rule. The rule itself (BuildKit's name test and
 * wording) lives in frontend/lint, whose `lintDockerfile` runs it with the other build checks; this wrapper goes
 * away once the build calls that instead.
 */
export function lintSecrets(ast: Node): SecretLintWarning[] {
  const out: SecretLintWarning[] = [];
  for (const child of ast.children) {
    if (child.value !== "arg" && child.value !== "env") continue;
    const instruction = child.value === "arg" ? "ARG" : "ENV";
    const names: string[] = [];
    if (instruction === "ARG") {
      for (let n = child.next; n; n = n.next) names.push(n.value.split("=")[0]);
    } else {
      // ENV's argument chain is (name, value, separator) triples.
      for (let n = child.next; n; n = n.next?.next?.next) names.push(n.value);
    }
    for (const name of names) {
      if (!isSecretKey(name)) continue;
      out.push({
        line: child.startLine,
        instruction,
        name,
        message: `SecretsUsedInArgOrEnv: ${MESSAGES.SecretsUsedInArgOrEnv(instruction, name)}`,
      });
    }
  }
  return out;
}
