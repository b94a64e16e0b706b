import { Buffer } from "node:buffer";
import type { CachedLayer, CacheRecord } from "../solver/mod.ts";
import type { Descriptor } from "../oci/mod.ts";
import { TsbuildError } from "../errors.ts";

/**
 * The exported cache, as one JSON document (BuildKit calls its own a "cache config"):
 *
 *     { "version": "tsbuild.cache.v1",
 *       "layers":  [{ "diffID": "sha256:…", "size": <bytes in the store>, "blob"?: <descriptor>, "asBlob"?: true }],
 *       "records": [{ "key": "<solver cache key>", "layers": [<index into layers>, …], "empty": false,
 *                     "created": "<RFC 3339>" }] }
 *
 * A record is a step's result: its whole layer chain (base image layers included, so the chain can be checked
 * against the importing build's input) and whether it added a layer. `blob` names the (usually gzip) blob that
 * holds a layer in the cache's manifest; without it the layer is found by diffID in the image that carries the cache
 * (inline), or it is a base image layer that is never fetched from the cache. Keys are tsbuild's own
 * (solver/cache_key.ts), not BuildKit's; records carry no step inputs (values a build arg or secret could be guessed
 * from never leave the store).
 *
 * type=local and type=registry put this document in an OCI image manifest as its config
 * ({@linkcode CACHE_CONFIG_MEDIA_TYPE}, BuildKit's media type) with the layer blobs as its layers; type=inline puts
 * it, base64-encoded, in the image config under {@linkcode INLINE_CACHE_KEY}, as BuildKit does.
 */
export interface CacheConfig {
  version: typeof CACHE_VERSION;
  layers: CacheLayerEntry[];
  records: CacheRecordEntry[];
}

/** One layer of the exported cache. */
export interface CacheLayerEntry {
  diffID: string;
  size: number;
  blob?: Descriptor;
  /** The store keeps this layer as `blob` itself (a base image layer), not as its uncompressed tar. */
  asBlob?: boolean;
}

/** One exported step result. */
export interface CacheRecordEntry {
  key: string;
  layers: number[];
  empty: boolean;
  created: string;
}

export const CACHE_VERSION = "tsbuild.cache.v1";
/** BuildKit's media type for a cache config blob. */
export const CACHE_CONFIG_MEDIA_TYPE = "application/vnd.buildkit.cacheconfig.v0";
/** BuildKit's image config key for inline cache. */
export const INLINE_CACHE_KEY = "moby.buildkit.cache.v0";

/** A cache document that cannot be read: the source names where it came from. */
export class CacheFormatError extends TsbuildError {}

/**
 * Builds the document for `records`; `blobFor` gives the blob a layer is exported as (undefined: not exported, see
 * the format above). Each layer appears once however many records name it.
 */
export function encodeCacheConfig(
  records: Pick<CacheRecord, "key" | "layers" | "empty" | "created">[],
  blobFor: (l: CachedLayer) => { blob: Descriptor; asBlob?: boolean } | undefined,
): CacheConfig {
  const layers: CacheLayerEntry[] = [];
  const index = new Map<string, number>();
  const out: CacheRecordEntry[] = [];
  for (const r of records) {
    const idx = r.layers.map((l) => {
      let i = index.get(l.diffID);
      if (i === undefined) {
        i = layers.length;
        index.set(l.diffID, i);
        layers.push({ diffID: l.diffID, size: l.size, ...blobFor(l) });
      }
      return i;
    });
    out.push({ key: r.key, layers: idx, empty: r.empty, created: r.created });
  }
  return { version: CACHE_VERSION, layers, records: out };
}

/** Parses and checks a cache document; `from` names its source in errors. */
export function decodeCacheConfig(bytes: Uint8Array | string, from: string): CacheConfig {
  let doc: CacheConfig;
  try {
    doc = JSON.parse(typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw new CacheFormatError(`${from}: the cache config is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (doc?.version !== CACHE_VERSION) {
    throw new CacheFormatError(
      `${from}: not a tsbuild cache (version ${JSON.stringify(doc?.version)}, want ${CACHE_VERSION})`,
    );
  }
  const digest = /^sha256:[0-9a-f]{64}$/;
  if (!Array.isArray(doc.layers) || !Array.isArray(doc.records)) {
    throw new CacheFormatError(`${from}: the cache config has no layers or records`);
  }
  for (const l of doc.layers) {
    if (!digest.test(l?.diffID) || !Number.isSafeInteger(l.size) || (l.blob && !digest.test(l.blob.digest))) {
      throw new CacheFormatError(`${from}: bad layer entry ${JSON.stringify(l)}`);
    }
  }
  for (const r of doc.records) {
    if (
      typeof r?.key !== "string" || !/^[0-9a-f]+$/.test(r.key) || !Array.isArray(r.layers) ||
      r.layers.some((i) => !doc.layers[i])
    ) {
      throw new CacheFormatError(`${from}: bad record entry ${JSON.stringify(r)?.slice(0, 200)}`);
    }
  }
  return doc;
}

/** The inline form: base64 of the JSON document. */
export function encodeInline(config: CacheConfig): string {
  return Buffer.from(JSON.stringify(config)).toString("base64");
}

export function decodeInline(value: string, from: string): CacheConfig {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new CacheFormatError(`${from}: ${INLINE_CACHE_KEY} is not base64`);
  }
  return decodeCacheConfig(new Uint8Array(Buffer.from(value, "base64")), from);
}
