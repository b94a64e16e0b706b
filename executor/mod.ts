/**
 * Running RUN steps: the OCI runtime spec of a build container, runc, USER resolution and cache mounts.
 *
 * `RuncExecutor` expects to run as (namespace) root — inside `runtime.enterNamespace` when unprivileged — on a
 * mounted, writable rootfs; `stateDir` is its own (runc state under `runc/`, per-run bundles under `bundles/`).
 * Each runc runs under util-linux `unshare --pid --mount-proc --kill-child`, so `unshare` must be on PATH.
 *
 * @example
 * ```ts
 * import { resolveUser, RuncExecutor } from "./mod.ts";
 * console.log(await resolveUser("/", "root")); // { uid: 0, gid: 0, additionalGids: [...], home: "/root" }
 * const executor = new RuncExecutor({ stateDir: "/tmp/tsbuild-state" });
 * await executor.cleanupStale(); // after a crash: containers, bundles and mount stubs of dead runs
 * // const { exitCode } = await executor.run({ rootfs, args: ["/bin/sh", "-c", "echo hi"], env: [], cwd: "/",
 * //   user: "root", network: "default", mounts: [], stdout: (c) => Deno.stdout.writeSync(c), stderr: () => {} });
 * ```
 * @module
 */
export { type ResolvedUser, resolveUser } from "./user.ts";
export { resolveInRootfs } from "./rootfs_path.ts";
export { RunAbortedError, RuncError, UserNotFoundError } from "./errors.ts";
export { RuncExecutor } from "./runc_executor.ts";
export type { RunMount, RunRequest, RunResult, Ulimit } from "./types.ts";
export type { ExtraHost } from "./etc_files.ts";
export { buildSpec, DEFAULT_CAPABILITIES, DEFAULT_PATH } from "./spec.ts";
export { type CacheMountLease, type CacheMountRequest, CacheMounts, CacheSeedError } from "./cache_mounts.ts";
