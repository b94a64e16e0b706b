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

/** `algo:hex` of bytes, with the algorithm of `like` (sha256 by default). */
export function digestOf(bytes: Uint8Array, like = "sha256:"): string {
  const h = hasherFor(like);
  h.update(bytes);
  return `${like.slice(0, like.indexOf(":"))}:${h.digest("hex")}`;
}
