import xxhash from "xxhash-wasm";

const hasher = await xxhash();

/**
 * A 128-bit xxhash key of a canonical JSON value: two h64 passes with different seeds. Cache keys must never
 * collide (a collision would reuse a wrong result), so 64 bits alone are not enough across a long-lived store.
 */
export function cacheKey(value: unknown): string {
  const text = canonicalJson(value);
  return hasher.h64ToString(text, 0n) + hasher.h64ToString(text, 0x9e3779b97f4a7c15n);
}

/** JSON with object keys sorted, so equal definitions give equal keys whatever order fields were set in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}
