import { gunzipSync } from "node:zlib";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { startHttpProxy, startTcpFaultProxy } from "../test/util/registry_proxy.ts";
import { startRegistry } from "../test/util/registry.ts";
import { parseReference, RegistryClient, RegistryError } from "../registry/mod.ts";
import { ContentStore, type LayerBlob, LayerCompressor } from "../snapshotter/mod.ts";
import { compressForPush } from "./push.ts";

const MiB = 1 << 20;

/** A layer of text then random bytes (some blocks deflated, some stored), as the store keeps it: uncompressed. */
async function storeLayer(content: ContentStore): Promise<{ bytes: Uint8Array; layer: LayerBlob }> {
  const text = new TextEncoder().encode(Array.from({ length: 60_000 }, (_, i) => `line ${i} of a log\n`).join(""));
  const noise = new Uint8Array(3 * MiB + 4321);
  for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
  const bytes = new Uint8Array(text.length + noise.length);
  bytes.set(text);
  bytes.set(noise, text.length);
  const { digest, size } = await content.writeBytes(bytes);
  return { bytes, layer: { mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size, diffID: digest } };
}

async function withStore(fn: (content: ContentStore, compressor: LayerCompressor) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-push-compress-" });
  try {
    const content = new ContentStore(root);
    await fn(content, new LayerCompressor(content));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

Deno.test("a new layer is uploaded while it is compressed: one streamed PATCH, the registry's blob is the store's", async () => {
  const reg = await startRegistry();
  const proxy = await startHttpProxy(reg.url);
  const client = new RegistryClient();
  try {
    await withStore(async (content, compressor) => {
      const { bytes, layer } = await storeLayer(content);
      const ref = parseReference(`${proxy.host}/stream/app:1`);
      const logs: string[] = [];
      const [gz] = await compressForPush(
        client,
        compressor,
        [layer],
        { compression: "gzip" },
        ref,
        (m) => logs.push(m),
      );
      assertEquals(gz.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
      assertStringIncludes(logs.join("\n"), "uploaded while compressed");
      const uploads = proxy.requests.filter((r) => r !== "GET /v2/");
      assertEquals(uploads.map((r) => r.split(" ")[0]), ["POST", "PATCH", "PUT"], uploads.join("\n"));
      assertStringIncludes(uploads[2], `digest=${encodeURIComponent(gz.digest)}`);
      const pushed = await bytesOf(await client.fetchBlob(ref, gz));
      assertEquals(pushed, await content.readBytes(gz.digest));
      assertEquals(new Uint8Array(gunzipSync(pushed)), bytes);
      // Remembered: the next push finds it compressed and leaves the upload to pushImage (HEAD says it exists).
      proxy.requests.length = 0;
      const [again] = await compressForPush(client, compressor, [layer], { compression: "gzip" }, ref, () => {});
      assertEquals(again, gz);
      assertEquals(proxy.requests, []);
      assertEquals(await client.pushBlob(ref, gz, () => content.readStream(gz.digest)), "exists");
    });
  } finally {
    client.close();
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("a small layer is compressed first and left to pushImage: no streamed PATCH, whose chunked body costs more", async () => {
  const reg = await startRegistry();
  const proxy = await startHttpProxy(reg.url);
  const client = new RegistryClient();
  try {
    await withStore(async (content, compressor) => {
      const bytes = new TextEncoder().encode("small layer\n".repeat(10_000));
      const { digest, size } = await content.writeBytes(bytes);
      const layer = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest, size, diffID: digest };
      const ref = parseReference(`${proxy.host}/small/app:1`);
      const [gz] = await compressForPush(client, compressor, [layer], { compression: "gzip" }, ref, () => {});
      assertEquals(gz.mediaType, "application/vnd.oci.image.layer.v1.tar+gzip");
      assertEquals(proxy.requests.filter((r) => r !== "GET /v2/"), []);
      assertEquals(await client.pushBlob(ref, gz, () => content.readStream(gz.digest)), "uploaded");
      assert(!proxy.requests.some((r) => r.startsWith("PATCH")), proxy.requests.join("\n"));
      assertEquals(new Uint8Array(gunzipSync(await bytesOf(await client.fetchBlob(ref, gz)))), bytes);
    });
  } finally {
    client.close();
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("a connection cut mid-stream or a refused commit leaves a complete store blob and record; pushBlob then uploads it", async () => {
  const reg = await startRegistry();
  const cut = startTcpFaultProxy(Number(reg.host.split(":")[1]), { upAfter: MiB, times: 1 });
  const refusing = await startHttpProxy(reg.url, {
    before: (req, url) =>
      req.method === "PUT" && url.searchParams.has("digest")
        ? new Response(JSON.stringify({ errors: [{ code: "DENIED", message: "quota exceeded" }] }), { status: 403 })
        : undefined,
  });
  const client = new RegistryClient({ backoffMs: 5 });
  try {
    for (const [host, why] of [[cut.host, "unreachable"], [refusing.host, "quota exceeded"]]) {
      await withStore(async (content, compressor) => {
        const { bytes, layer } = await storeLayer(content);
        const ref = parseReference(`${host}/broken/app:1`);
        const r = await compressor.compressedVia(layer, { compression: "gzip" }, () => client.openBlobUpload(ref));
        assertEquals(r.sink.state, "failed", host);
        assertStringIncludes(String((r.sink as { error: Error }).error?.message), why);
        assertStringIncludes(String((r.sink as { error: Error }).error?.message), ref.toString());
        // The store is whole: the blob matches its record and decodes to the layer; a later call finds it.
        assertEquals(await content.size(r.blob.digest), r.blob.size);
        assertEquals(new Uint8Array(gunzipSync(await content.readBytes(r.blob.digest))), bytes);
        assertEquals((await compressor.compressedVia(layer, { compression: "gzip" })).blob, r.blob);
        const direct = parseReference(`${reg.host}/broken/app:1`);
        assertEquals(await client.hasBlob(direct, r.blob.digest), false, "nothing was committed");
        assertEquals(await client.pushBlob(direct, r.blob, () => content.readStream(r.blob.digest)), "uploaded");
      });
    }
    assertEquals(cut.drops(), 1);
  } finally {
    client.close();
    await cut.stop();
    await refusing.stop();
    await reg.stop();
  }
});

Deno.test("an unreachable registry fails before any compression, naming the reference; the store gets nothing", async () => {
  const reg = await startRegistry();
  const host = reg.host;
  await reg.stop();
  const client = new RegistryClient({ retries: 1, backoffMs: 5 });
  try {
    await withStore(async (content, compressor) => {
      const { layer } = await storeLayer(content);
      const ref = parseReference(`${host}/gone/app:1`);
      const err = await assertRejects(
        () => compressForPush(client, compressor, [layer], { compression: "gzip" }, ref, () => {}),
        RegistryError,
      );
      assertStringIncludes(err.message, ref.toString());
      assertStringIncludes(err.message, "unreachable");
      assertEquals(await compressor.known(layer.diffID), []);
      let blobs = 0;
      for await (const _ of Deno.readDir(`${content.root}/blobs/sha256`)) blobs++;
      assert(blobs === 1, `only the layer itself is stored, found ${blobs} blobs`);
    });
  } finally {
    client.close();
  }
});
