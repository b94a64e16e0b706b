/**
 * One build end to end: the library's `build()`, what the CLI calls once inside the build namespace.
 *
 * @example
 * ```ts
 * import type { BuildRequest } from "./mod.ts";
 * const outputs: BuildRequest["outputs"] = [{ type: "oci", dest: "out.tar", tar: true }];
 * console.log(outputs.length);
 * ```
 * @module
 */
export * from "./request.ts";
export { build } from "./build.ts";
export { DockerfileNotFoundError } from "./session.ts";
export { type PruneResult, pruneStore } from "./prune.ts";
export { leaseStore, type StoreLease } from "./store_lease.ts";
