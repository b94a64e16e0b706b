/**
 * The solver: walks the build graph, runs independent steps concurrently, and keeps a content-addressed cache whose
 * keys cover exactly what a step's result depends on.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./mod.ts";
 * console.log(cacheKey({ args: ["/bin/sh", "-c", "true"] }).length); // 32
 * ```
 * @module
 */
export { cacheKey, canonicalJson } from "./cache_key.ts";
export { type CachedLayer, type CacheImportSource, type CacheRecord, CacheStore } from "./cache_store.ts";
export { ImageSource, type PinnedImage } from "./image_source.ts";
export { type FsResult, type LocalResult, Solver, type SolverDeps, type VertexResult } from "./solver.ts";
export { BuildCancelledError, RunFailedError, StepFailedError } from "./errors.ts";
export { MissingSecretError } from "./op_exec.ts";
export { checkEntitlements, EntitlementError, ENTITLEMENTS } from "./entitlements.ts";
