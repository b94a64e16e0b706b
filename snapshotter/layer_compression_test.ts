import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { tarBytes } from "../test/util/layer_tar.ts";
import { ContentStore } from "./content_store.ts";
import { BlobNotFoundError } from "./errors.ts";
import { LayerCompressor } from "./layer_compression.ts";

async function withCompressor(fn: (c: LayerCompressor, content: ContentStore) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-compress-" });
  try {
    const content = new ContentStore(root);
    await fn(new LayerCompressor(content), content);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function plainLayer(content: ContentStore) {
  const tar = await tarBytes([{ name: "etc/motd", data: "hello ".repeat(5000) }, { name: "bin/", type: "directory" }]);
  const { digest, size } = await content.writeBytes(tar);
  return { tar, layer: { mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size, diffID: digest } };
}

async function unzipped(stream: ReadableStream<Uint8Array>, format: "gzip" | "zstd"): Promise<Uint8Array> {
  if (format === "gzip") {
    return new Uint8Array(
      await new Response(
        stream.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>),
      ).arrayBuffer(),
    );
  }
  const child = new Deno.Command("zstd", { args: ["-d", "-c", "-q"], stdin: "piped", stdout: "piped" }).spawn();
  const [, out] = await Promise.all([stream.pipeTo(child.stdin), child.output()]);
  return out.stdout;
}

Deno.test("gzip and zstd forms decompress to the layer's tar, keep its diffID and are remembered per compression", () =>
  withCompressor(async (c, content) => {
    const { tar, layer } = await plainLayer(content);
    for (const format of ["gzip", "zstd"] as const) {
      const out = await c.compressed(layer, { compression: format });
      assertEquals(out.mediaType, `application/vnd.oci.image.layer.v1.tar+${format}`);
      assertEquals(out.diffID, layer.diffID);
      assert(out.size < layer.size, `${format} is smaller`);
      assertEquals(await unzipped(content.readStream(out.digest), format), tar);
      assertEquals(await content.size(out.digest), out.size);
    }
    const gz = await c.compressed(layer, { compression: "gzip" });
    const fast = await c.compressed(layer, { compression: "gzip", level: 1 });
    assert(fast.digest !== gz.digest, "the level is part of what is remembered");
    assertEquals(
      (await c.known(layer.diffID)).map((l) => l.digest).sort(),
      [gz.digest, fast.digest, (await c.compressed(layer, { compression: "zstd" })).digest].sort(),
    );
    // Remembered: with the tar gone, the compressed form is still found and nothing is recomputed.
    await content.delete(layer.digest);
    assertEquals(await c.compressed(layer, { compression: "gzip" }), gz);
    // A remembered blob that is gone is recomputed from the tar, or reported missing without it.
    await content.delete(gz.digest);
    await assertRejects(() => c.compressed(layer, { compression: "gzip" }), BlobNotFoundError);
  }));

Deno.test("equal tars give equal compressed blobs in separate stores; none and compressed layers are kept as they are", async () => {
  const digests: string[] = [];
  for (let i = 0; i < 2; i++) {
    await withCompressor(async (c, content) => {
      const { layer } = await plainLayer(content);
      digests.push((await c.compressed(layer, { compression: "gzip" })).digest);
      assertEquals(await c.compressed(layer, { compression: "none" }), layer);
      const gz = {
        ...layer,
        mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
        digest: "sha256:" + "a".repeat(64),
      };
      assertEquals(await c.compressed(gz, { compression: "zstd" }), gz);
    });
  }
  assertEquals(digests[0], digests[1]);
});

Deno.test("force: a gzip layer becomes zstd or a plain tar, checked against its diffID; without force it stays", () =>
  withCompressor(async (c, content) => {
    const { tar, layer } = await plainLayer(content);
    const gz = await c.compressed(layer, { compression: "gzip" });
    assertEquals(await c.compressed(gz, { compression: "zstd" }), gz, "a compressed layer is kept unless forced");
    const z = await c.compressed(gz, { compression: "zstd", force: true });
    assertEquals([z.mediaType, z.diffID], ["application/vnd.oci.image.layer.v1.tar+zstd", layer.diffID]);
    assertEquals(await unzipped(content.readStream(z.digest), "zstd"), tar);
    const plain = await c.compressed(gz, { compression: "none", force: true });
    assertEquals([plain.mediaType, plain.digest], ["application/vnd.oci.image.layer.v1.tar", layer.diffID]);
    // A blob that does not decompress to the diffID it claims is refused, and nothing is recorded for it.
    const lie = { ...gz, diffID: "sha256:" + "0".repeat(64) };
    await assertRejects(
      () => c.compressed(lie, { compression: "zstd", force: true }),
      Error,
      "content verification failed",
    );
    assertEquals((await c.known(lie.diffID)).length, 0);
  }));
