import { assertEquals } from "../test/util/assert.ts";
import { makeTestImage, makeTestIndex } from "../test/util/oci_image.ts";
import { pushTestImage } from "../test/util/push_image.ts";
import { startRegistry } from "../test/util/registry.ts";
import { startHttpProxy } from "../test/util/registry_proxy.ts";
import { parseReference, RegistryClient } from "../registry/mod.ts";
import { ContentStore } from "../snapshotter/mod.ts";
import { ImageSource } from "./image_source.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64" };

Deno.test("a tag resolved before is read from the store after one HEAD, and a moved tag is seen", async () => {
  const reg = await startRegistry();
  const proxy = await startHttpProxy(reg.url);
  const dir = await Deno.makeTempDir();
  const client = new RegistryClient();
  try {
    const amd = await makeTestImage({ arch: "amd64" });
    const arm = await makeTestImage({ arch: "arm64" });
    await pushTestImage(client, `${reg.host}/base:1`, amd);
    await pushTestImage(client, `${reg.host}/base:1`, arm);
    const idx = await makeTestIndex([amd, arm]);
    await client.putManifest(parseReference(`${reg.host}/base:1`), idx.bytes, idx.mediaType);
    const content = new ContentStore(`${dir}/content`);
    const resolveOnce = (platform = amd64) =>
      new ImageSource(new RegistryClient(), content).resolve(`${proxy.host}/base:1`, platform);

    const first = await resolveOnce();
    assertEquals([first.ref, first.manifestDigest], [`${proxy.host}/base:1@${idx.digest}`, amd.desc.digest]);
    const fetched = proxy.requests.filter((r) => r.startsWith("GET /v2/base/"));
    assertEquals(fetched.length, 3); // index, amd64 manifest, config

    // Another build (a new ImageSource): the same answer from one HEAD, for the other platform too.
    proxy.requests.length = 0;
    const again = await resolveOnce();
    assertEquals([again.ref, again.manifestDigest, again.config], [first.ref, first.manifestDigest, first.config]);
    assertEquals(again.layers.map((l) => l.digest), first.layers.map((l) => l.digest));
    assertEquals(proxy.requests.filter((r) => r.includes("/base/")), [`HEAD /v2/base/manifests/1`]);
    // arm64's manifest was never fetched: HEAD finds the index stored, then the full path fetches what is missing.
    const other = await resolveOnce(arm64);
    assertEquals([other.manifestDigest, other.config.architecture], [arm.desc.digest, "arm64"]);

    // The tag moves to a single-platform image: the next resolution follows it.
    await client.putManifest(parseReference(`${reg.host}/base:1`), amd.manifestBytes, amd.desc.mediaType);
    const moved = await resolveOnce();
    assertEquals([moved.ref, moved.manifestDigest], [`${proxy.host}/base:1@${amd.desc.digest}`, amd.desc.digest]);
  } finally {
    await proxy.stop();
    await reg.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
