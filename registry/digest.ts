import type { Hash } from "node:crypto";
import { nodeCrypto } from "../runtime/builtins.ts";
export type { Hash };
import { RegistryError } from "./errors.ts";

/** A streaming hasher for a digest's algorithm (sha256 or sha512, the two the OCI spec registers). */
export function hasherFor(digest: string): Hash {
  const algo = digest.slice(0, digest.indexOf(":"));
  if (algo !== "sha256" && algo !== "sha512") throw new RegistryError(`unsupported digest algorithm in "${digest}"`);
  return nodeCrypto().createHash(algo);
}

/**
 * `algo:hex` of bytes, with the algorithm of `like` (sha256 by default). Web Crypto, not node:crypto: a manifest
 * is what a no-change push hashes, and loading node:crypto would cost it ~5 ms.
 */
export async function digestOf(bytes: Uint8Array, like = "sha256:"): Promise<string> {
  const algo = like.slice(0, like.indexOf(":"));
  if (algo !== "sha256" && algo !== "sha512") throw new RegistryError(`unsupported digest algorithm in "${like}"`);
  const sum = await crypto.subtle.digest(algo === "sha256" ? "SHA-256" : "SHA-512", bytes as Uint8Array<ArrayBuffer>);
  return `${algo}:${[...new Uint8Array(sum)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
