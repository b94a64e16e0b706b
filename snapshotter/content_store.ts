import { sha256 } from "./node.ts";
import { join } from "./path.ts";
import { fileStream } from "./file_chunks.ts";
import { BlobNotFoundError, DigestMismatchError, InvalidDigestError } from "./errors.ts";
import { hostPid } from "../runtime/mod.ts";
import { digestBytes } from "../oci/digest.ts";
import { DerivedLayers } from "./derived_layers.ts";

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** Throws `InvalidDigestError` unless `digest` is a sha256 digest, so a digest can never name a path outside the store. */
export function assertDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new InvalidDigestError(digest);
}

/** sha256 digest of bytes or a UTF-8 string, in OCI form. */
export function sha256Digest(data: Uint8Array | string): string {
  return "sha256:" + sha256().update(data).digest("hex");
}

/** Bytes gathered before one write to an ingest file. */
const WRITE_BATCH = 1 << 20;

/**
 * Content-addressed blob store (`<root>/blobs/sha256/<hex>`). Writes go to `<root>/ingest/<pid>-<random>` and are
 * fsynced and renamed into place only once verified, so a reader never sees a partial or wrong blob, even after a
 * kill. Big built layers have no file: `size`, `has` and `readStream` find them through their recipe
 * (derived_layers.ts) and make them again from their snapshot.
 */
export class ContentStore {
  readonly root: string;
  readonly #ingest: string;
  /** Layers kept as their snapshot. */
  readonly derived: DerivedLayers;

  constructor(root: string) {
    this.root = root;
    this.derived = new DerivedLayers(root);
    this.#ingest = join(root, "ingest");
    Deno.mkdirSync(join(root, "blobs", "sha256"), { recursive: true });
    Deno.mkdirSync(this.#ingest, { recursive: true });
  }

  path(digest: string): string {
    assertDigest(digest);
    return join(this.root, "blobs", "sha256", digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.size(digest)) !== undefined;
  }

  async size(digest: string): Promise<number | undefined> {
    try {
      return (await Deno.stat(this.path(digest))).size;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return (await this.derived.get(digest))?.size;
      throw e;
    }
  }

  /** Whether the blob is a file here (rather than missing or a layer made on demand). */
  async isFile(digest: string): Promise<boolean> {
    try {
      return (await Deno.stat(this.path(digest))).isFile;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  }

  readStream(digest: string): ReadableStream<Uint8Array> {
    const path = this.path(digest);
    // Chosen on the first read, so the signature stays synchronous: the file, else the layer made from its
    // snapshot, else a BlobNotFoundError.
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        reader ??= (await this.isFile(digest)
          ? fileStream(path, (cause) =>
            new BlobNotFoundError(digest, { cause }))
          : this.derived.open(digest)).getReader();
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader?.cancel(reason),
    }, { highWaterMark: 0 });
  }

  /** Writes a layer kept as its snapshot out as a file (before the snapshot goes); a no-op for a file. */
  async materialize(digest: string): Promise<void> {
    if (await this.isFile(digest)) return;
    const recipe = await this.derived.get(digest);
    if (!recipe) throw new BlobNotFoundError(digest);
    await this.writeStream(this.derived.open(digest), { digest, size: recipe.size });
    await this.derived.forget(digest);
  }

  async readBytes(digest: string): Promise<Uint8Array> {
    try {
      return await Deno.readFile(this.path(digest));
    } catch (e) {
      throw e instanceof Deno.errors.NotFound ? new BlobNotFoundError(digest, { cause: e }) : e;
    }
  }

  async writeStream(
    stream: ReadableStream<Uint8Array>,
    expect?: { digest?: string; size?: number },
  ): Promise<{ digest: string; size: number }> {
    if (expect?.digest !== undefined) assertDigest(expect.digest);
    const tmp = join(this.#ingest, `${hostPid()}-${crypto.randomUUID()}`);
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    const hash = sha256();
    let size = 0;
    let closed = false;
    // Layer tars arrive as many small chunks (a 512-byte header, then a small file): one write per chunk cost more
    // than the tar itself, so they are gathered into large writes.
    const staged = new Uint8Array(WRITE_BATCH);
    let used = 0;
    const flush = async () => {
      for (let off = 0; off < used;) off += await file.write(staged.subarray(off, used));
      used = 0;
    };
    try {
      for await (const chunk of stream) {
        hash.update(chunk);
        size += chunk.byteLength;
        if (expect?.size !== undefined && size > expect.size) break; // do not fill the disk with a lying stream
        if (chunk.byteLength >= WRITE_BATCH) {
          await flush();
          for (let off = 0; off < chunk.byteLength;) off += await file.write(chunk.subarray(off));
          continue;
        }
        if (used + chunk.byteLength > WRITE_BATCH) await flush();
        staged.set(chunk, used);
        used += chunk.byteLength;
      }
      await flush();
      const actual = { digest: "sha256:" + hash.digest("hex"), size };
      if (
        (expect?.digest !== undefined && expect.digest !== actual.digest) ||
        (expect?.size !== undefined && expect.size !== actual.size)
      ) {
        throw new DigestMismatchError(expect!, actual);
      }
      await file.sync();
      file.close();
      closed = true;
      await Deno.rename(tmp, this.path(actual.digest));
      return actual;
    } catch (e) {
      if (!closed) file.close();
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }

  async writeBytes(data: Uint8Array | string): Promise<{ digest: string; size: number }> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    // Configs and manifests are written again by every build that ends in them: a blob already in the store (only
    // ever renamed in complete and verified) needs no second write and fsync.
    // Web Crypto (digestBytes), not node:crypto: a no-change build writes only these.
    const digest = await digestBytes(bytes);
    if ((await this.size(digest)) === bytes.byteLength) return { digest, size: bytes.byteLength };
    return await this.writeStream(ReadableStream.from([bytes]));
  }

  async delete(digest: string): Promise<void> {
    try {
      await Deno.remove(this.path(digest));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  /** Removes ingest files of processes that no longer run (a kill mid-write leaves them behind). */
  async cleanIngest(): Promise<void> {
    for await (const e of Deno.readDir(this.#ingest)) {
      const pid = Number(e.name.split("-")[0]);
      if (pid === hostPid() || (pid > 0 && processAlive(pid))) continue;
      await Deno.remove(join(this.#ingest, e.name), { recursive: true }).catch(() => {});
    }
  }
}

/** True when a process with this pid exists (the store's processes share one pid namespace). */
export function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
