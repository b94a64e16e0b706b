import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { validate } from "../test/util/json_schema.ts";
import { makeTestImage, makeTestIndex, type TestImage } from "../test/util/oci_image.ts";
import { ContentStore } from "../snapshotter/content_store.ts";
import { OciLayoutError, readOciLayout, writeOciLayout } from "./oci_layout.ts";

const dec = new TextDecoder();
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

async function tool(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

/** A real content store holding the images' blobs and manifests. */
async function storeWith(root: string, images: TestImage[], extra: Uint8Array[] = []): Promise<ContentStore> {
  const store = new ContentStore(root);
  for (const img of images) {
    for (const b of img.blobs.values()) await store.writeBytes(b);
    await store.writeBytes(img.manifestBytes);
  }
  for (const b of extra) await store.writeBytes(b);
  return store;
}

/** Every JSON document of a layout validated against the image-spec schema for its kind. */
async function schemaErrors(dir: string): Promise<string[]> {
  const errs: string[] = [];
  const read = async (p: string) => JSON.parse(await Deno.readTextFile(`${dir}/${p}`));
  errs.push(...await validate("image-layout-schema.json", await read("oci-layout")));
  const index = await read("index.json");
  errs.push(...await validate("image-index-schema.json", index));
  const walk = async (descs: { mediaType: string; digest: string }[]) => {
    for (const d of descs) {
      const doc = await read(`blobs/${d.digest.replace(":", "/")}`);
      if (d.mediaType.includes("index")) {
        errs.push(...await validate("image-index-schema.json", doc));
        await walk(doc.manifests);
      } else {
        errs.push(...await validate("image-manifest-schema.json", doc));
        errs.push(...await validate("config-schema.json", await read(`blobs/${doc.config.digest.replace(":", "/")}`)));
      }
    }
  };
  await walk(index.manifests);
  return errs;
}

Deno.test("OCI layout dir: skopeo and umoci read it, it matches the image-spec schemas, and it reads back", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tsbuild-layout-" });
  try {
    const img = await makeTestImage({
      layers: [[{ name: "etc/", type: "directory" }, { name: "etc/motd", data: "hi\n" }]],
    });
    const store = await storeWith(`${tmp}/store`, [img]);
    const dest = `${tmp}/out`;
    await writeOciLayout(dest, "dir", store, [{ desc: img.desc, refName: "v1" }]);
    assertEquals(await schemaErrors(dest), []);
    const inspected = JSON.parse(await tool("skopeo", ["inspect", `oci:${dest}:v1`]));
    assertEquals([inspected.Digest, inspected.Layers], [img.desc.digest, [img.manifest.layers[0].digest]]);
    await tool("umoci", ["unpack", "--image", `${dest}:v1`, `${tmp}/bundle`]);
    assertEquals(await Deno.readTextFile(`${tmp}/bundle/rootfs/etc/motd`), "hi\n");

    // A second image is added beside the first; re-using a ref name replaces its entry.
    const img2 = await makeTestImage({ arch: "arm64" });
    await storeWith(`${tmp}/store`, [img2]);
    await writeOciLayout(dest, "dir", store, [{ desc: img2.desc, refName: "v2" }]);
    await writeOciLayout(dest, "dir", store, [{ desc: img2.desc, refName: "v1" }]);
    const back = await readOciLayout(dest);
    assertEquals(back.index.manifests.map((m) => [m.digest, m.annotations?.["org.opencontainers.image.ref.name"]]), [
      [img2.desc.digest, "v2"],
      [img2.desc.digest, "v1"],
    ]);
    assertEquals(await bytesOf(back.readBlob(img2.desc.digest)), img2.manifestBytes);
    await back.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("OCI layout tar of a multi-platform index: skopeo oci-archive reads each platform; readOciLayout streams blobs from the tar", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tsbuild-layout-" });
  try {
    const amd = await makeTestImage({ arch: "amd64", bigLayerBytes: 300_000 });
    const arm = await makeTestImage({ arch: "arm64" });
    const idx = await makeTestIndex([amd, arm]);
    const store = await storeWith(`${tmp}/store`, [amd, arm], [idx.bytes]);
    const dest = `${tmp}/image.tar`;
    await writeOciLayout(dest, "tar", store, [{
      desc: { mediaType: idx.mediaType, digest: idx.digest, size: idx.bytes.length },
      refName: "multi",
    }]);
    const listing = (await tool("tar", ["-tf", dest])).trim().split("\n");
    assert(listing.includes("oci-layout") && listing.includes("index.json"), listing.join(" "));
    // Layers and configs, one manifest per image, and the index.
    assertEquals(
      listing.filter((l) => l.startsWith("blobs/sha256/") && l.length > 14).length,
      amd.blobs.size + arm.blobs.size + 2 + 1,
    );
    const raw = JSON.parse(await tool("skopeo", ["inspect", "--raw", `oci-archive:${dest}:multi`]));
    assertEquals(raw.manifests.map((m: { digest: string }) => m.digest), [amd.desc.digest, arm.desc.digest]);
    const armInspect = JSON.parse(
      await tool("skopeo", ["inspect", "--override-arch", "arm64", `oci-archive:${dest}:multi`]),
    );
    // For oci: sources skopeo reports the index digest, with the chosen platform's config and layers.
    assertEquals([armInspect.Digest, armInspect.Architecture, armInspect.Layers], [idx.digest, "arm64", [
      arm.manifest.layers[0].digest,
    ]]);
    // Unpacked by tar, the layout passes the schemas too.
    await Deno.mkdir(`${tmp}/x`);
    await tool("tar", ["-xf", dest, "-C", `${tmp}/x`]);
    assertEquals(await schemaErrors(`${tmp}/x`), []);

    const back = await readOciLayout(dest);
    assertEquals(back.index.manifests[0].digest, idx.digest);
    const big = amd.manifest.layers[1];
    assertEquals(await bytesOf(back.readBlob(big.digest)), amd.blobs.get(big.digest));
    assertEquals(await bytesOf(back.readBlob(idx.digest)), idx.bytes);
    await back.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("readOciLayout reads layouts other tools wrote; missing blobs and non-layouts give clear errors", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tsbuild-layout-" });
  try {
    // skopeo writes the layout here, from a docker-archive-free source: our own dir layout.
    const img = await makeTestImage();
    const store = await storeWith(`${tmp}/store`, [img]);
    await writeOciLayout(`${tmp}/ours`, "dir", store, [{ desc: img.desc, refName: "t" }]);
    await tool("skopeo", ["copy", "--quiet", `oci:${tmp}/ours:t`, `oci-archive:${tmp}/theirs.tar:other`]);
    const back = await readOciLayout(`${tmp}/theirs.tar`);
    assertEquals(back.index.manifests[0].annotations?.["org.opencontainers.image.ref.name"], "other");
    const m = JSON.parse(dec.decode(await bytesOf(back.readBlob(back.index.manifests[0].digest))));
    assertEquals(await bytesOf(back.readBlob(m.layers[0].digest)), img.blobs.get(img.manifest.layers[0].digest));

    await store.delete(img.manifest.layers[0].digest);
    const e = await assertRejects(
      () => writeOciLayout(`${tmp}/broken.tar`, "tar", store, [{ desc: img.desc }]),
      OciLayoutError,
    );
    assertStringIncludes(e.message, `blob ${img.manifest.layers[0].digest}`);
    assertStringIncludes(e.message, "not in the content store");
    assert(!(await Deno.stat(`${tmp}/broken.tar`).catch(() => false)), "no partial archive left behind");
    await Deno.writeTextFile(`${tmp}/plain.txt`, "hello");
    await assertRejects(() => readOciLayout(`${tmp}/plain.txt`), OciLayoutError, "not an OCI image layout");
    await assertRejects(() => readOciLayout(`${tmp}/nope`), OciLayoutError, "cannot open the OCI layout");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
