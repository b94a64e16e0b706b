/**
 * The digest of bytes held in memory (a manifest, a config, an index), `algorithm:hex` as descriptors carry it,
 * computed with Web Crypto: configs and manifests are what a cached build hashes, and node:crypto costs ~5-10 ms to
 * load (streams, which Web Crypto cannot hash incrementally, use node:crypto; see runtime/builtins.ts).
 *
 * @example
 * ```ts
 * import { digestBytes } from "./digest.ts";
 * console.log(await digestBytes(new TextEncoder().encode("{}"))); // sha256:44136fa3…
 * ```
 * @module
 */

/** `algorithm:hex` of `bytes` (or a string's UTF-8). */
export async function digestBytes(
  bytes: Uint8Array | string,
  algorithm: "sha256" | "sha512" = "sha256",
): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const sum = await crypto.subtle.digest(
    algorithm === "sha256" ? "SHA-256" : "SHA-512",
    data as Uint8Array<ArrayBuffer>,
  );
  return `${algorithm}:${Array.from(new Uint8Array(sum), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
