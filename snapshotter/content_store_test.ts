import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { ContentStore, sha256Digest } from "./content_store.ts";
import { BlobNotFoundError, DigestMismatchError, InvalidDigestError } from "./errors.ts";

async function withStore(fn: (s: ContentStore, root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-content-" });
  try {
    await fn(new ContentStore(root), root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("content store round-trips bytes and reports size and presence", () =>
  withStore(async (s) => {
    const { digest, size } = await s.writeBytes("hello layer");
    assertEquals(digest, sha256Digest("hello layer"));
    assertEquals(size, 11);
    assert(await s.has(digest));
    assertEquals(await s.size(digest), 11);
    assertEquals(new TextDecoder().decode(await s.readBytes(digest)), "hello layer");
    const streamed = await new Response(s.readStream(digest)).text();
    assertEquals(streamed, "hello layer");
    await s.delete(digest);
    assertEquals(await s.has(digest), false);
    assertEquals(await s.size(digest), undefined);
  }));

Deno.test("content store streams a multi-chunk blob and verifies digest and size", () =>
  withStore(async (s) => {
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i % 251);
    const chunks = Array.from({ length: 40 }, () => chunk);
    const all = new Uint8Array(chunks.length * chunk.length);
    chunks.forEach((c, i) => all.set(c, i * c.length));
    const expected = sha256Digest(all);
    const r = await s.writeStream(ReadableStream.from(chunks), { digest: expected, size: all.length });
    assertEquals(r, { digest: expected, size: all.length });
    assertEquals(sha256Digest(await s.readBytes(expected)), expected);
  }));

Deno.test("content store refuses a blob whose digest or size is wrong and leaves nothing behind", () =>
  withStore(async (s, root) => {
    const wrong = sha256Digest("something else");
    await assertRejects(
      () => s.writeStream(ReadableStream.from([new TextEncoder().encode("data")]), { digest: wrong }),
      DigestMismatchError,
      wrong,
    );
    await assertRejects(
      () => s.writeStream(ReadableStream.from([new TextEncoder().encode("data")]), { size: 3 }),
      DigestMismatchError,
    );
    assertEquals(await s.has(wrong), false);
    assertEquals(await s.has(sha256Digest("data")), false);
    assertEquals([...Deno.readDirSync(`${root}/ingest`)].length, 0);
    assertEquals([...Deno.readDirSync(`${root}/blobs/sha256`)].length, 0);
  }));

Deno.test("content store rejects digests that are not sha256 hex, so no digest names a path outside it", () =>
  withStore(async (s) => {
    for (const d of ["sha256:../../etc/passwd", "md5:abc", "sha256:" + "A".repeat(64)]) {
      await assertRejects(() => s.has(d), InvalidDigestError);
    }
    await assertRejects(() => s.readBytes(sha256Digest("missing")), BlobNotFoundError);
    await assertRejects(() => new Response(s.readStream(sha256Digest("missing"))).text(), BlobNotFoundError);
  }));

Deno.test("content store cleans ingest files of dead processes but keeps live ones", () =>
  withStore(async (s, root) => {
    // pid 2^22+1 is above pid_max's ceiling, so it can never be a live process.
    await Deno.writeTextFile(`${root}/ingest/4194305-dead`, "partial");
    await Deno.writeTextFile(`${root}/ingest/${Deno.pid}-mine`, "partial");
    await s.cleanIngest();
    assertEquals([...Deno.readDirSync(`${root}/ingest`)].map((e) => e.name), [`${Deno.pid}-mine`]);
  }));
