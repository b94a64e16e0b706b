import type { Node } from "../frontend/mod.ts";

/** BuildKit's SecretsUsedInArgOrEnv rule: name parts that say "this is a credential". */
const SECRET_NAME = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;

/** One ARG or ENV that looks like it carries a secret. */
export interface SecretLintWarning {
  line: number;
  instruction: "ARG" | "ENV";
  name: string;
  message: string;
}

/**
 * Names passed through ARG or ENV that look like secrets. Both end up readable by anyone with the image: ENV in the
 * config, ARG in `docker history` of the RUNs that use it. `RUN --mount=type=secret` is the way that leaves no trace.
 */
export function lintSecrets(ast: Node): SecretLintWarning[] {
  const out: SecretLintWarning[] = [];
  for (const child of ast.children) {
    const kw = child.value.toLowerCase();
    if (kw !== "arg" && kw !== "env") continue;
    const names: string[] = [];
    if (kw === "arg") {
      for (let n = child.next; n; n = n.next) names.push(n.value.split("=")[0]);
    } else {
      // ENV's argument chain alternates name and value.
      for (let n = child.next; n; n = n.next?.next) names.push(n.value);
    }
    for (const name of names) {
      if (!SECRET_NAME.test(name)) continue;
      const instruction = kw === "arg" ? "ARG" : "ENV";
      out.push({
        line: child.startLine,
        instruction,
        name,
        message: `SecretsUsedInArgOrEnv: do not use ${instruction} instructions for sensitive data (${instruction} "${name}"): ` +
          `its value is visible in the image${instruction === "ARG" ? " history" : " config"}; use RUN --mount=type=secret,id=${name.toLowerCase()} with --secret instead`,
      });
    }
  }
  return out;
}
