import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { skopeoInspect, skopeoInspectRaw } from "../test/util/oci_check.ts";
import { makeTestImage, makeTestIndex } from "../test/util/oci_image.ts";
import { pushTestImage } from "../test/util/push_image.ts";
import { startRegistry } from "../test/util/registry.ts";
import { pushBusyboxImage } from "../test/util/base_image.ts";
import { RegistryClient } from "./client.ts";
import { RegistryError } from "./errors.ts";
import { parseReference } from "./reference.ts";

const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

Deno.test("push an index of two platforms, read it back with skopeo and pull each platform", async () => {
  const reg = await startRegistry();
  // A 64 KiB chunk size makes the 200 KiB layer go up in PATCHes and the small ones in one PUT.
  const client = new RegistryClient({ chunkSize: 64 << 10 });
  try {
    const amd = await makeTestImage({ arch: "amd64", bigLayerBytes: 200_000 });
    const arm = await makeTestImage({ arch: "arm64" });
    assertEquals(await pushTestImage(client, `${reg.host}/multi/app:1`, amd), ["uploaded", "uploaded", "uploaded"]);
    assertEquals(await pushTestImage(client, `${reg.host}/multi/app:1`, arm), ["uploaded", "uploaded"]);
    const idx = await makeTestIndex([amd, arm]);
    assertEquals(
      await client.putManifest(parseReference(`${reg.host}/multi/app:1`), idx.bytes, idx.mediaType),
      idx.digest,
    );

    // An independent reader sees what we pushed.
    const raw = await skopeoInspectRaw(`${reg.host}/multi/app:1`);
    assertEquals(raw.manifests.map((m: { digest: string }) => m.digest), [amd.desc.digest, arm.desc.digest]);
    const inspected = await skopeoInspect(`${reg.host}/multi/app@${amd.desc.digest}`);
    assertEquals(inspected.Layers, amd.manifest.layers.map((l: { digest: string }) => l.digest));
    assertEquals(inspected.Architecture, "amd64");

    const ref = parseReference(`${reg.host}/multi/app:1`);
    const top = await client.getManifest(ref);
    assertEquals([top.mediaType, top.digest], [idx.mediaType, idx.digest]);
    const r = await client.resolveImage(ref, { os: "linux", architecture: "arm64" });
    assertEquals([r.indexDigest, r.manifestDigest, r.config.architecture], [idx.digest, arm.desc.digest, "arm64"]);
    assertEquals(r.ref.toString(), `${reg.host}/multi/app:1@${idx.digest}`);
    const big = amd.manifest.layers[1];
    assertEquals(await bytesOf(await client.fetchBlob(ref, big)), amd.blobs.get(big.digest));
    await assertRejects(
      () => client.resolveImage(ref, { os: "linux", architecture: "s390x" }),
      RegistryError,
      "available: linux/amd64, linux/arm64",
    );

    // Pushing again finds the blobs; another repository on the same registry mounts them.
    assertEquals(await client.pushBlob(ref, big, () => ReadableStream.from([amd.blobs.get(big.digest)!])), "exists");
    const other = parseReference(`${reg.host}/other:1`);
    let opened = 0;
    const how = await client.pushBlob(other, big, () => {
      opened++;
      return ReadableStream.from([amd.blobs.get(big.digest)!]);
    }, { mountFrom: ["multi/app"] });
    assertEquals([how, opened], ["mounted", 0]);
    assert(await client.hasBlob(other, big.digest));
    assert(!(await client.hasBlob(other, amd.manifest.layers[0].digest)));
  } finally {
    await reg.stop();
  }
});

Deno.test("Docker schema 2 manifest lists resolve to the host platform by default", async () => {
  const reg = await startRegistry();
  const client = new RegistryClient();
  try {
    const img = await makeTestImage({ format: "docker" });
    await pushTestImage(client, `${reg.host}/dock:latest`, img);
    const list = await makeTestIndex([img], "docker");
    await client.putManifest(parseReference(`${reg.host}/dock`), list.bytes, list.mediaType);
    const r = await client.resolveImage(parseReference(`${reg.host}/dock`), { os: "linux", architecture: "amd64" });
    assertEquals([r.manifestDigest, r.manifest.mediaType, r.indexDigest], [
      img.desc.digest,
      img.desc.mediaType,
      list.digest,
    ]);
    assertEquals(r.configBytes, img.configBytes);
    // A tag pointing straight at a manifest needs no index.
    await client.putManifest(parseReference(`${reg.host}/dock:single`), img.manifestBytes, img.desc.mediaType);
    const s = await client.resolveImage(parseReference(`${reg.host}/dock:single`), {
      os: "linux",
      architecture: "amd64",
    });
    assertEquals([s.indexDigest, s.manifestDigest], [undefined, img.desc.digest]);
  } finally {
    await reg.stop();
  }
});

Deno.test("clear errors: image not found, unreachable registry, bad local content", async () => {
  const reg = await startRegistry();
  const client = new RegistryClient({ retries: 1, backoffMs: 10 });
  try {
    const e = await assertRejects(
      () => client.resolveImage(parseReference(`${reg.host}/nope:1`), { os: "linux", architecture: "amd64" }),
      RegistryError,
    );
    assertStringIncludes(e.message, `${reg.host}`);
    assertStringIncludes(e.message, `image not found: ${reg.host}/nope:1`);
    const img = await makeTestImage();
    const layer = img.manifest.layers[0];
    const bad = await assertRejects(
      () =>
        client.pushBlob(
          parseReference(`${reg.host}/x:1`),
          layer,
          () => ReadableStream.from([new TextEncoder().encode("not the layer")]),
        ),
      RegistryError,
    );
    assertStringIncludes(bad.message, "does not match its descriptor");
    assert(!(await client.hasBlob(parseReference(`${reg.host}/x:1`), layer.digest)), "nothing was committed");
    // Above the chunk size the blob goes up in one streamed PATCH: wrong or overlong content is caught the same way.
    const streamed = new RegistryClient({ retries: 1, backoffMs: 10, chunkSize: 1024 });
    const big = { ...layer, size: 100_000 };
    for (const wrong of [new Uint8Array(100_000), new Uint8Array(10_000_000)]) {
      const e = await assertRejects(
        () => streamed.pushBlob(parseReference(`${reg.host}/x:1`), big, () => ReadableStream.from([wrong])),
        RegistryError,
      );
      assertStringIncludes(e.message, "does not match its descriptor");
      assertStringIncludes(e.message, `size ${wrong.length} vs 100000`);
    }
    assert(!(await client.hasBlob(parseReference(`${reg.host}/x:1`), layer.digest)), "nothing was committed");
  } finally {
    await reg.stop();
  }
  // The registry is gone now: its port refuses connections.
  const gone = await assertRejects(() => client.getManifest(parseReference(`${reg.host}/x:1`)), RegistryError);
  assertStringIncludes(gone.message, "registry unreachable");
  assertStringIncludes(gone.message, "gave up after 2 attempts");
});

Deno.test("pulls an image other tools made and pushed (umoci + skopeo busybox), with every layer verified", async () => {
  const reg = await startRegistry();
  const client = new RegistryClient();
  try {
    const refText = await pushBusyboxImage(reg.host, "tools/busybox", "1");
    const r = await client.resolveImage(parseReference(refText), { os: "linux", architecture: "amd64" });
    const inspected = await skopeoInspect(refText);
    assertEquals([r.manifestDigest, r.manifest.layers.map((l) => l.digest)], [inspected.Digest, inspected.Layers]);
    let total = 0;
    for (const l of r.manifest.layers) total += (await bytesOf(await client.fetchBlob(r.ref, l))).length;
    assertEquals(total, r.manifest.layers.reduce((n, l) => n + l.size, 0));
    assert(r.config.rootfs.diff_ids.length === r.manifest.layers.length);
  } finally {
    await reg.stop();
  }
});
