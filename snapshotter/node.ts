/**
 * The few Node built-ins Deno lacks an equivalent for: streaming sha256, lchown/lutimes, a gzip with a level.
 * @module
 */
import type { Hash } from "node:crypto";
import { nodeCrypto, nodeFs, nodeZlib } from "../runtime/builtins.ts";

export type { Hash };

/** A streaming sha256 (Web Crypto cannot hash incrementally). */
export function sha256(): Hash {
  return nodeCrypto().createHash("sha256");
}

/** chown that changes a symlink itself rather than its target. */
export const lchown = (path: string, uid: number, gid: number): Promise<void> =>
  nodeFs().promises.lchown(path, uid, gid);

/** utimes that changes a symlink itself rather than its target. */
export const lutimes = (path: string, atime: Date, mtime: Date): Promise<void> =>
  nodeFs().promises.lutimes(path, atime, mtime);

/** lchown, synchronously (layer application runs one entry at a time; see apply.ts). */
export const lchownSync = (path: string, uid: number, gid: number): void => nodeFs().lchownSync(path, uid, gid);

/** lutimes, synchronously. */
export const lutimesSync = (path: string, atime: Date, mtime: Date): void => nodeFs().lutimesSync(path, atime, mtime);

/**
 * A gzip TransformStream at a chosen level (CompressionStream has no level knob), compressing on zlib's thread
 * pool. Each chunk is written to zlib and the transform waits for zlib's drain, so a layer never piles up in
 * memory (Duplex.toWeb did not keep that bound).
 */
export function gzipStream(level: number): Promise<TransformStream<Uint8Array, Uint8Array>> {
  const gz = nodeZlib().createGzip({ level });
  let out: TransformStreamDefaultController<Uint8Array> | undefined;
  let failure: unknown;
  const ended = new Promise<void>((resolve) => gz.on("end", () => resolve()));
  gz.on("data", (d: Uint8Array) => out?.enqueue(new Uint8Array(d)));
  gz.on("error", (e: unknown) => (failure = e));
  return Promise.resolve(
    new TransformStream<Uint8Array, Uint8Array>({
      start(c) {
        out = c;
      },
      async transform(chunk) {
        if (failure) throw failure;
        if (!gz.write(chunk)) await new Promise<void>((r) => gz.once("drain", () => r()));
      },
      async flush() {
        gz.end();
        await ended;
        if (failure) throw failure;
      },
    }),
  );
}
