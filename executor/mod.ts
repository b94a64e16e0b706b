/**
 * Running RUN steps: OCI runtime specs for runc, user resolution, cache mounts.
 *
 * @example
 * ```ts
 * import { resolveUser } from "./mod.ts";
 * const user = await resolveUser("/", "root");
 * console.log(user.uid, user.gid, user.home);
 * ```
 * @module
 */
export { type ResolvedUser, resolveUser } from "./user.ts";
export { resolveInRootfs } from "./rootfs_path.ts";
export { RunAbortedError, RuncError, UserNotFoundError } from "./errors.ts";
export { RuncExecutor } from "./runc_executor.ts";
export type { RunMount, RunRequest, RunResult } from "./types.ts";
export { buildSpec, DEFAULT_CAPABILITIES, DEFAULT_PATH } from "./spec.ts";
export { type CacheMountLease, type CacheMountRequest, CacheMounts } from "./cache_mounts.ts";
