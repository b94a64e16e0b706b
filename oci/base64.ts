/**
 * Standard base64 of bytes, as a descriptor's `data` field (image-spec descriptor.md) and Go's `[]byte` in JSON
 * (BuildKit's subrequest results, in-toto sources) carry them.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * console.log(encodeBase64(new TextEncoder().encode("FROM scratch\n"))); // "RlJPTSBzY3JhdGNoCg=="
 * ```
 * @module
 */

/** `bytes` (or a string's UTF-8) as standard base64. */
export function encodeBase64(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let bin = "";
  // In slices: String.fromCharCode(...all) would overflow the call stack on a large input.
  for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(bin);
}
