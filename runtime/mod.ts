/**
 * Entering tsbuild's user + mount namespace, and `tsbuild doctor`'s report of what the host allows.
 *
 * @example
 * ```ts
 * import { enterNamespace, formatHostReport, inNamespace, inspectHost } from "./mod.ts";
 * if (Deno.args[0] === "doctor") {
 *   console.log(formatHostReport(await inspectHost()));
 * } else if (!inNamespace()) {
 *   Deno.exit(await enterNamespace({ argv: Deno.args, script: new URL(import.meta.url).pathname }));
 * }
 * ```
 * @module
 */
export { enterNamespace, inNamespace } from "./enter_namespace.ts";
export { diagnose, type HostProblem, type HostReport, inspectHost } from "./host_report.ts";
export { formatHostReport } from "./format_report.ts";
export { NamespaceError } from "./errors.ts";
export type { SubIdRange } from "./host_probe.ts";
export { hostPid } from "./host_pid.ts";
