/**
 * Node built-ins loaded on first use. In Deno, importing `node:fs`, `node:crypto` and `node:zlib` costs ~20 ms of
 * start-up between them (node compatibility polyfills), and a no-change build, which is mostly start-up, needs none
 * of them: they are fetched with `process.getBuiltinModule` (synchronous; Deno 2, Node >= 20.16) when a layer is
 * hashed, compressed or applied, not when the module that may do so is imported.
 *
 * @example
 * ```ts
 * import { nodeCrypto } from "./builtins.ts";
 * console.log(nodeCrypto().createHash("sha256").update("hi").digest("hex"));
 * ```
 * @module
 */
import type * as Fs from "node:fs";
import type * as Crypto from "node:crypto";
import type * as Zlib from "node:zlib";
import type * as WorkerThreads from "node:worker_threads";
import type * as Os from "node:os";

const cache = new Map<string, unknown>();

function builtin<T>(name: string): T {
  let m = cache.get(name);
  if (m === undefined) {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    if (!process?.getBuiltinModule) {
      throw new Error(
        `${name} is not available: this runtime has no process.getBuiltinModule (Node >= 20.16 or Deno 2 needed)`,
      );
    }
    m = process.getBuiltinModule(name);
    cache.set(name, m);
  }
  return m as T;
}

/** `node:fs` (lchown, lutimes: Deno has no call that leaves a symlink's target alone). */
export const nodeFs = (): typeof Fs => builtin("node:fs");
/** `node:crypto` (streaming sha256: Web Crypto cannot hash incrementally). */
export const nodeCrypto = (): typeof Crypto => builtin("node:crypto");
/** `node:zlib` (deflate with a level, crc32). */
export const nodeZlib = (): typeof Zlib => builtin("node:zlib");
/** `node:worker_threads` (the gzip pool). */
export const nodeWorkerThreads = (): typeof WorkerThreads => builtin("node:worker_threads");
/** `node:os`. */
export const nodeOs = (): typeof Os => builtin("node:os");
