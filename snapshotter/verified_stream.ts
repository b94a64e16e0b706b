/**
 * A byte stream checked as it passes: it errors at its end, with {@link DigestMismatchError}, when what went through
 * does not hash to the expected sha256 (and size, when one is given). For blobs read from places that are trusted
 * only by digest: a local cache export, a base layer decompressed to the tar its diffID names.
 *
 * @example
 * ```ts
 * import { verifiedStream } from "./verified_stream.ts";
 * const s = verifiedStream(ReadableStream.from([new TextEncoder().encode("x")]), { digest: "sha256:" + "0".repeat(64) });
 * await new Response(s).arrayBuffer().catch((e) => console.log(e.message)); // content verification failed: ...
 * ```
 * @module
 */
import { DigestMismatchError } from "./errors.ts";
import { sha256 } from "./node.ts";

export function verifiedStream(
  stream: ReadableStream<Uint8Array>,
  expect: { digest: string; size?: number },
): ReadableStream<Uint8Array> {
  const hash = sha256();
  let size = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        hash.update(chunk);
        size += chunk.byteLength;
        c.enqueue(chunk);
      },
      flush() {
        const digest = "sha256:" + hash.digest("hex");
        if (digest !== expect.digest || (expect.size !== undefined && size !== expect.size)) {
          throw new DigestMismatchError(expect, { digest, size });
        }
      },
    }),
  );
}
