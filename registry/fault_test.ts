import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { makeTestImage } from "../test/util/oci_image.ts";
import { pushTestImage } from "../test/util/push_image.ts";
import { startHttpProxy, startTcpFaultProxy } from "../test/util/registry_proxy.ts";
import { startRegistry } from "../test/util/registry.ts";
import { RegistryClient } from "./client.ts";
import { RegistryError } from "./errors.ts";
import { parseReference } from "./reference.ts";

const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());
const port = (host: string) => Number(host.split(":")[1]);

Deno.test("5xx answers are retried (streamed upload restarted, stream re-opened); a registry that keeps failing gives a clear error", async () => {
  const reg = await startRegistry();
  let failPatches = 2;
  let failManifestPuts = Infinity;
  const proxy = await startHttpProxy(reg.url, {
    before(req, url) {
      if (req.method === "PATCH" && failPatches > 0) {
        failPatches--;
        return new Response("overloaded", { status: 503 });
      }
      if (req.method === "PUT" && url.pathname.includes("/manifests/") && failManifestPuts-- > 0) {
        return new Response(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "disk on fire" }] }), {
          status: 500,
        });
      }
      return undefined;
    },
  });
  try {
    const client = new RegistryClient({ chunkSize: 32 << 10, backoffMs: 5 });
    const img = await makeTestImage({ bigLayerBytes: 150_000 });
    const big = img.manifest.layers[1];
    let opened = 0;
    const how = await client.pushBlob(parseReference(`${proxy.host}/r/app:1`), big, () => {
      opened++;
      return ReadableStream.from([
        img.blobs.get(big.digest)!.subarray(0, 70_000),
        img.blobs.get(big.digest)!.subarray(70_000),
      ]);
    });
    assertEquals([how, opened], ["uploaded", 3]);
    // 150 000 bytes, more than a 32 KiB chunk: one streamed PATCH and an empty PUT, after two failed PATCHes.
    assertEquals(proxy.requests.filter((r) => r.startsWith("PATCH")).length, 2 + 1);
    assert(await client.hasBlob(parseReference(`${reg.host}/r/app:1`), big.digest));
    // A blob within one chunk goes up in a single PUT.
    const before = proxy.requests.length;
    const small = img.manifest.layers[0];
    await client.pushBlob(
      parseReference(`${proxy.host}/r/app:1`),
      small,
      () => ReadableStream.from([img.blobs.get(small.digest)!]),
    );
    assertEquals(
      proxy.requests.slice(before).map((r) => r.split(/[ ?]/)[0] + (r.includes("digest=") ? "+digest" : "")),
      [
        "HEAD",
        "POST",
        "PUT+digest",
      ],
    );

    const e = await assertRejects(
      () => pushTestImage(new RegistryClient({ retries: 2, backoffMs: 5 }), `${proxy.host}/r/app:1`, img),
      RegistryError,
    );
    assertStringIncludes(
      e.message,
      `${proxy.host}: pushing ${proxy.host}/r/app:1: HTTP 500: UNKNOWN: disk on fire (gave up after 3 attempts)`,
    );
    failManifestPuts = 1;
    assertEquals(
      await new RegistryClient({ backoffMs: 5 }).putManifest(
        parseReference(`${proxy.host}/r/app:1`),
        img.manifestBytes,
        img.desc.mediaType,
      ),
      img.desc.digest,
    );
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("connections dropped mid-upload are retried by re-opening the blob; mid-download they resume with Range", async () => {
  const reg = await startRegistry();
  const img = await makeTestImage({ bigLayerBytes: 400_000 });
  const big = img.manifest.layers[1];
  const upDrop = startTcpFaultProxy(port(reg.host), { upAfter: 200_000 });
  try {
    let opened = 0;
    const how = await new RegistryClient({ backoffMs: 5 }).pushBlob(
      parseReference(`${upDrop.host}/d/app:1`),
      big,
      () => {
        opened++;
        return ReadableStream.from([img.blobs.get(big.digest)!]);
      },
    );
    // Either we re-opened the blob for a new session, or the HTTP stack re-sent the in-memory request itself when
    // the registry had not consumed any of it yet: both must end with the whole blob stored.
    assertEquals([how, upDrop.drops()], ["uploaded", 1]);
    assert(opened === 1 || opened === 2, `opened ${opened} times`);
    const stored = await bytesOf(await new RegistryClient().fetchBlob(parseReference(`${reg.host}/d/app:1`), big));
    assertEquals(stored.length, big.size);
  } finally {
    await upDrop.stop();
  }
  // The cut sits in front of a recording proxy, so the resumed requests' Range headers can be checked.
  const ranges: (string | null)[] = [];
  const recorder = await startHttpProxy(reg.url, {
    before(req, url) {
      if (url.pathname.includes("/blobs/")) ranges.push(req.headers.get("Range"));
      return undefined;
    },
  });
  const downDrop = startTcpFaultProxy(port(recorder.host), { downAfter: 150_000, times: 2 });
  try {
    const got = await bytesOf(await new RegistryClient({ backoffMs: 5 }).fetchBlob(parseReference(`${downDrop.host}/d/app:1`), big));
    assertEquals([got.length, downDrop.drops()], [big.size, 2]);
    assert(got.every((b, i) => b === img.blobs.get(big.digest)![i]), "resumed bytes line up");
    assertEquals(ranges.length, 3);
    assertEquals(ranges[0], null);
    assert(ranges.slice(1).every((r) => /^bytes=[1-9]\d*-$/.test(r ?? "")), `resumed with Range: ${ranges.join(", ")}`);
  } finally {
    await downDrop.stop();
    await recorder.stop();
  }
  const always = startTcpFaultProxy(port(reg.host), { downAfter: 100_000, times: 100 });
  try {
    const s = await new RegistryClient({ retries: 2, backoffMs: 5 }).fetchBlob(
      parseReference(`${always.host}/d/app:1`),
      big,
    );
    const e = await assertRejects(() => bytesOf(s), RegistryError);
    assertStringIncludes(e.message, "connection dropped after");
    assertStringIncludes(e.message, "gave up after 2 resumes");
  } finally {
    await always.stop();
    await reg.stop();
  }
});

Deno.test("digest mismatches are detected: corrupted blobs, manifests and Docker-Content-Digest", async () => {
  const reg = await startRegistry();
  const img = await makeTestImage();
  await pushTestImage(new RegistryClient(), `${reg.host}/m/app:1`, img);
  await new RegistryClient().putManifest(parseReference(`${reg.host}/m/app:1`), img.manifestBytes, img.desc.mediaType);
  const corrupt = (bytes: Uint8Array) => {
    const c = bytes.slice();
    c[c.length - 1] ^= 0xff;
    return c;
  };
  const proxy = await startHttpProxy(reg.url, {
    async after(req, url, res) {
      if (req.method !== "GET" || !res.ok) return res;
      const body = new Uint8Array(await res.arrayBuffer());
      const headers = new Headers(res.headers);
      if (url.pathname.includes("/blobs/")) return new Response(corrupt(body), { headers });
      if (url.pathname.endsWith("/manifests/lying")) {
        headers.set("Docker-Content-Digest", "sha256:" + "0".repeat(64));
        return new Response(body, { headers });
      }
      if (url.pathname.includes("/manifests/sha256:")) return new Response(corrupt(body), { headers });
      return new Response(body, { headers });
    },
  });
  try {
    const client = new RegistryClient({ retries: 0 });
    const layer = img.manifest.layers[0];
    const s = await client.fetchBlob(parseReference(`${proxy.host}/m/app:1`), layer);
    await assertRejects(() => bytesOf(s), RegistryError, `digest mismatch: expected ${layer.digest}`);
    await assertRejects(
      () => client.getManifest(parseReference(`${proxy.host}/m/app@${img.desc.digest}`)),
      RegistryError,
      "manifest digest mismatch",
    );
    await new RegistryClient().putManifest(
      parseReference(`${reg.host}/m/app:lying`),
      img.manifestBytes,
      img.desc.mediaType,
    );
    await assertRejects(
      () => client.getManifest(parseReference(`${proxy.host}/m/app:lying`)),
      RegistryError,
      "Docker-Content-Digest says",
    );
    // resolveImage reads the config through the same verified path.
    await assertRejects(
      () => client.resolveImage(parseReference(`${proxy.host}/m/app:1`), { os: "linux", architecture: "amd64" }),
      RegistryError,
      "digest mismatch",
    );
  } finally {
    await proxy.stop();
    await reg.stop();
  }
});

Deno.test("mirrors are tried first for pulls and the origin is the fallback", async () => {
  const origin = await startRegistry();
  const mirror = await startRegistry();
  try {
    const onlyOrigin = await makeTestImage({ arch: "amd64", seed: 1, layers: [[{ name: "o", data: "origin" }]] });
    const both = await makeTestImage({ arch: "amd64", layers: [[{ name: "m", data: "mirrored" }]] });
    await pushTestImage(new RegistryClient(), `${origin.host}/lib/a:1`, onlyOrigin);
    await new RegistryClient().putManifest(
      parseReference(`${origin.host}/lib/a:1`),
      onlyOrigin.manifestBytes,
      onlyOrigin.desc.mediaType,
    );
    await pushTestImage(new RegistryClient(), `${mirror.host}/lib/b:1`, both);
    await new RegistryClient().putManifest(
      parseReference(`${mirror.host}/lib/b:1`),
      both.manifestBytes,
      both.desc.mediaType,
    );
    const client = new RegistryClient({ mirrors: { [origin.host]: [`http://${mirror.host}`] } });
    // b exists only on the mirror: served from there although the reference names the origin.
    const b = await client.resolveImage(parseReference(`${origin.host}/lib/b:1`), {
      os: "linux",
      architecture: "amd64",
    });
    assertEquals(b.manifestDigest, both.desc.digest);
    const a = await client.resolveImage(parseReference(`${origin.host}/lib/a:1`), {
      os: "linux",
      architecture: "amd64",
    });
    assertEquals(a.manifestDigest, onlyOrigin.desc.digest);
    await assertRejects(
      () => client.getManifest(parseReference(`${origin.host}/lib/c:1`)),
      RegistryError,
      `${origin.host}: pulling`,
    );
    // The common case: Docker Hub names served by a local mirror (Hub itself is unreachable here).
    await pushTestImage(new RegistryClient(), `${mirror.host}/library/hubimg:1`, both);
    await new RegistryClient().putManifest(
      parseReference(`${mirror.host}/library/hubimg:1`),
      both.manifestBytes,
      both.desc.mediaType,
    );
    const hub = new RegistryClient({ mirrors: { "docker.io": [mirror.host] }, retries: 0 });
    const h = await hub.resolveImage(parseReference("hubimg:1"), { os: "linux", architecture: "amd64" });
    assertEquals([h.manifestDigest, h.ref.familiar()], [both.desc.digest, `hubimg:1@${both.desc.digest}`]);
  } finally {
    await origin.stop();
    await mirror.stop();
  }
});
