/**
 * Cache export and import (`--cache-to`, `--cache-from`), as BuildKit's: the solver's step results (cache key →
 * layer chain) with the layer blobs they name, written to an OCI layout directory (type=local), pushed to a registry
 * as an OCI manifest (type=registry) or put in the image config (type=inline), so a build on a fresh store gets the
 * hits of an earlier build elsewhere. See format.ts for the document.
 *
 * @example
 * ```ts
 * import { parseCacheFrom, parseCacheTo } from "./mod.ts";
 * console.log(parseCacheTo("type=local,dest=/tmp/c,mode=max")); // { type: "local", dest: "/tmp/c", mode: "max", ignoreError: false }
 * console.log(parseCacheFrom("registry.lan/app:cache")); // { type: "registry", ref: "registry.lan/app:cache" }
 * ```
 * @module
 */
export {
  type CacheExportSpec,
  type CacheImportSpec,
  type CacheMode,
  CacheSpecError,
  describeCacheSpec,
  parseCacheFrom,
  parseCacheTo,
} from "./spec.ts";
export {
  CACHE_CONFIG_MEDIA_TYPE,
  CACHE_VERSION,
  type CacheConfig,
  CacheFormatError,
  type CacheLayerEntry,
  type CacheRecordEntry,
  decodeCacheConfig,
  decodeInline,
  encodeCacheConfig,
  encodeInline,
  INLINE_CACHE_KEY,
} from "./format.ts";
export { type ExportRecord, exportRecords } from "./collect.ts";
export { type CacheExportDeps, CacheExportError, cacheManifest, exportCache, inlineCache } from "./export.ts";
export { type CacheImportDeps, CacheImporter } from "./import.ts";
