import type { Descriptor } from "../oci/mod.ts";
import { hasherFor } from "./digest.ts";
import { RegistryError } from "./errors.ts";
import type { RegistryHttp } from "./http.ts";

/** Opens the blob from byte `offset` (a `Range` request when > 0); resolves to a 200 or 206 response. */
export type BlobOpener = (offset: number) => Promise<Response>;

/**
 * Streams a blob while hashing it; the stream errors when the size or digest do not match the descriptor. A dropped
 * connection is resumed with a Range request from the last byte received (a server that ignores Range and answers
 * 200 has the already-seen prefix skipped), up to `http.retries` times.
 */
export function verifyingBlobStream(
  http: RegistryHttp,
  first: Response,
  open: BlobOpener,
  desc: Descriptor,
  label: string,
): ReadableStream<Uint8Array> {
  const hash = hasherFor(desc.digest);
  let received = 0;
  let skip = 0;
  let resumes = 0;
  let reader = first.body!.getReader();
  const fail = (msg: string) => new RegistryError(`${label}: ${msg}`);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          if (resumes >= http.retries) {
            controller.error(
              new RegistryError(
                `${label}: connection dropped after ${received} of ${desc.size} bytes, gave up after ${resumes} resumes: ${
                  (e as Error).message
                }`,
                { cause: e },
              ),
            );
            return;
          }
          await http.sleep(resumes++);
          try {
            const res = await http.retry(() => open(received));
            skip = 0;
            if (res.status === 206) {
              const start = Number(/bytes (\d+)-/.exec(res.headers.get("Content-Range") ?? "")?.[1] ?? received);
              if (start > received) throw fail(`registry resumed at byte ${start}, expected ${received}`);
              skip = received - start;
            } else skip = received;
            reader = res.body!.getReader();
          } catch (e2) {
            controller.error(e2);
            return;
          }
          continue;
        }
        if (r.done) {
          const got = `${desc.digest.slice(0, desc.digest.indexOf(":"))}:${hash.digest("hex")}`;
          if (received !== desc.size) {
            controller.error(fail(`blob is ${received} bytes, the descriptor says ${desc.size}`));
          } else if (got !== desc.digest) {
            controller.error(fail(`digest mismatch: expected ${desc.digest}, got ${got}`));
          } else controller.close();
          return;
        }
        let chunk = r.value;
        if (skip > 0) {
          const n = Math.min(skip, chunk.length);
          skip -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) continue;
        }
        received += chunk.length;
        if (received > desc.size) {
          await reader.cancel().catch(() => {});
          controller.error(fail(`blob is larger than the ${desc.size} bytes its descriptor says`));
          return;
        }
        hash.update(chunk);
        controller.enqueue(chunk);
        return;
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => {});
    },
  });
}
