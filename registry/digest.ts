import type { Hash } from "node:crypto";
import { nodeCrypto } from "../runtime/builtins.ts";
export type { Hash };
import { RegistryError } from "./errors.ts";
import { digestBytes } from "../oci/mod.ts";

/** A streaming hasher for a digest's algorithm (sha256 or sha512, the two the OCI spec registers). */
export function hasherFor(digest: string): Hash {
  const algo = digest.slice(0, digest.indexOf(":"));
  if (algo !== "sha256" && algo !== "sha512") throw new RegistryError(`unsupported digest algorithm in "${digest}"`);
  return nodeCrypto().createHash(algo);
}

/** `algo:hex` of bytes, with the algorithm of `like` (sha256 by default); Web Crypto, see oci/digest.ts. */
export function digestOf(bytes: Uint8Array, like = "sha256:"): Promise<string> {
  const algo = like.slice(0, like.indexOf(":"));
  if (algo !== "sha256" && algo !== "sha512") throw new RegistryError(`unsupported digest algorithm in "${like}"`);
  return digestBytes(bytes, algo);
}
