/**
 * The few Node built-ins Deno lacks an equivalent for (streaming sha256, lchown/lutimes, a gzip with a level),
 * imported by computed name because `@types/node` is not installed here; only this narrow typed surface is used.
 * @module
 */

/** An incremental hash (node:crypto). */
export interface Hash {
  update(data: Uint8Array | string): Hash;
  digest(encoding: "hex"): string;
}

interface NodeCrypto {
  createHash(alg: string): Hash;
}
interface NodeFsPromises {
  lchown(path: string, uid: number, gid: number): Promise<void>;
  lutimes(path: string, atime: Date, mtime: Date): Promise<void>;
}
interface NodeZlib {
  createGzip(opts: { level: number }): unknown;
}
interface NodeStream {
  Duplex: { toWeb(d: unknown): TransformStream<Uint8Array, Uint8Array> };
}

const nodeCrypto = (await import("node:" + "crypto")) as unknown as NodeCrypto;
const nodeFs = (await import("node:" + "fs/promises")) as unknown as NodeFsPromises;

/** A streaming sha256 (Web Crypto cannot hash incrementally). */
export function sha256(): Hash {
  return nodeCrypto.createHash("sha256");
}

/** chown that changes a symlink itself rather than its target. */
export const lchown = (path: string, uid: number, gid: number): Promise<void> => nodeFs.lchown(path, uid, gid);

/** utimes that changes a symlink itself rather than its target. */
export const lutimes = (path: string, atime: Date, mtime: Date): Promise<void> => nodeFs.lutimes(path, atime, mtime);

/**
 * A gzip TransformStream at a chosen level (CompressionStream has no level knob). Each chunk is written to zlib and
 * the transform waits for zlib's drain, so a layer never piles up in memory (Duplex.toWeb did not keep that bound).
 */
export async function gzipStream(level: number): Promise<TransformStream<Uint8Array, Uint8Array>> {
  const zlib = (await import("node:" + "zlib")) as unknown as NodeZlib;
  const gz = zlib.createGzip({ level }) as unknown as {
    write(c: Uint8Array): boolean;
    end(): void;
    on(ev: string, f: (x?: unknown) => void): void;
    once(ev: string, f: () => void): void;
  };
  let out: TransformStreamDefaultController<Uint8Array> | undefined;
  let failure: unknown;
  const ended = new Promise<void>((resolve) => gz.on("end", () => resolve()));
  gz.on("data", (d) => out?.enqueue(new Uint8Array(d as Uint8Array)));
  gz.on("error", (e) => (failure = e));
  return new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      out = c;
    },
    async transform(chunk) {
      if (failure) throw failure;
      if (!gz.write(chunk)) await new Promise<void>((r) => gz.once("drain", r));
    },
    async flush() {
      gz.end();
      await ended;
      if (failure) throw failure;
    },
  });
}
