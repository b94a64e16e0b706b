/**
 * Export → import round trips through a real content store, a real OCI layout dir and a real registry: a fresh store
 * gets the records back with the same layer chains (blobs decompressed and verified under their diffIDs), and
 * anything wrong (a corrupt blob, a missing cache) is a miss or a warning, never a wrong hit.
 */
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "../test/util/assert.ts";
import { startRegistry } from "../test/util/registry.ts";
import { ContentStore } from "../snapshotter/mod.ts";
import { MediaType } from "../oci/mod.ts";
import { RegistryClient } from "../registry/mod.ts";
import type { CachedLayer } from "../solver/mod.ts";
import { CacheImporter } from "./import.ts";
import { exportCache, inlineCache } from "./export.ts";
import { decodeInline } from "./format.ts";
import type { ExportRecord } from "./collect.ts";
import type { CacheImportSpec } from "./spec.ts";

/** A real tar made by GNU tar, stored as the build stores layers (uncompressed, digest = diffID). */
async function tarLayer(content: ContentStore, files: Record<string, string>): Promise<CachedLayer> {
  const dir = await Deno.makeTempDir();
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  const out = await new Deno.Command("tar", { args: ["-C", dir, "-cf", "-", "."], stdout: "piped" }).output();
  await Deno.remove(dir, { recursive: true });
  const { digest, size } = await content.writeBytes(out.stdout);
  return { mediaType: MediaType.OciLayer, digest, size, diffID: digest };
}

/** A base image layer as a pull stores it: gzip blob (made by gzip(1)), diffID of the tar inside. */
async function baseLayer(content: ContentStore): Promise<CachedLayer> {
  const tar = await tarLayer(new ContentStore(await Deno.makeTempDir()), { "base.txt": "base" });
  const gz = await new Deno.Command("sh", { args: ["-c", `printf 'base layer' | gzip -n`], stdout: "piped" }).output();
  const { digest, size } = await content.writeBytes(gz.stdout);
  return { mediaType: MediaType.OciLayerGzip, digest, size, diffID: tar.diffID };
}

async function fixture() {
  const content = new ContentStore(await Deno.makeTempDir({ prefix: "tsbuild-cache-a-" }));
  const base = await baseLayer(content);
  const l1 = await tarLayer(content, { "a.txt": "one\n" });
  const l2 = await tarLayer(content, { "b.txt": `${crypto.randomUUID()}\n`.repeat(2000) });
  const records: ExportRecord[] = [
    { key: "aa01", layers: [base, l1], empty: false, created: "2026-01-01T00:00:00Z" },
    { key: "aa02", layers: [base, l1], empty: true, created: "2026-01-01T00:00:01Z" },
    { key: "aa03", layers: [base, l1, l2], empty: false, created: "2026-01-01T00:00:02Z" },
  ];
  return { content, base, l1, l2, records };
}

function importer(specs: CacheImportSpec[], registry = new RegistryClient()) {
  const warnings: string[] = [];
  const content = new ContentStore(Deno.makeTempDirSync({ prefix: "tsbuild-cache-b-" }));
  const imp = new CacheImporter(specs, {
    content,
    registry,
    platform: { os: "linux", architecture: "amd64" },
    warn: (m) => warnings.push(m),
  });
  return { imp, content, warnings };
}

Deno.test("cache round trip: type=local gives a fresh store the same records, blobs fetched only on a hit", async () => {
  const { content, base, l1, l2, records } = await fixture();
  const dest = await Deno.makeTempDir({ prefix: "tsbuild-cache-dest-" });
  try {
    const r = await exportCache({ type: "local", dest, mode: "min", ignoreError: false }, records, {
      content,
      registry: new RegistryClient(),
    });
    assertEquals([r.records, r.layers], [3, 2], "two layers were made by the build; the base layer is only named");
    const index = JSON.parse(await Deno.readTextFile(join(dest, "index.json")));
    assertEquals(index.manifests[0].digest, r.manifestDigest);

    const b = importer([{ type: "local", src: dest }]);
    assertEquals(await b.imp.lookup("ffff"), undefined, "unknown key");
    const rec1 = await b.imp.lookup("aa01");
    assertEquals(rec1?.layers, [base, l1]);
    assertEquals(await b.content.has(l2.digest), false, "a hit fetches only the layers it needs");
    const rec3 = await b.imp.lookup("aa03");
    assertEquals(rec3?.layers, [base, l1, l2]);
    assertEquals([rec3?.empty, rec3?.created, (await b.imp.lookup("aa02"))?.empty], [
      false,
      "2026-01-01T00:00:02Z",
      true,
    ]);
    assertEquals(
      await b.content.readBytes(l2.digest),
      await content.readBytes(l2.digest),
      "decompressed back to the same tar",
    );
    assertEquals(b.warnings, []);

    // A corrupt blob in the cache: the hit that needs it is a miss, with a warning; nothing wrong enters the store.
    const manifest = JSON.parse(await Deno.readTextFile(join(dest, "blobs", "sha256", r.manifestDigest.slice(7))));
    const big = manifest.layers.find((d: { annotations: Record<string, string> }) =>
      d.annotations["containerd.io/uncompressed"] === l2.diffID
    );
    const path = join(dest, "blobs", "sha256", big.digest.slice(7));
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 20] ^= 0xff;
    await Deno.writeFile(path, bytes);
    const c = importer([{ type: "local", src: dest }]);
    assert(await c.imp.lookup("aa01"), "records whose blobs are intact still hit");
    assertEquals(await c.imp.lookup("aa03"), undefined);
    assertEquals(await c.content.has(l2.digest), false);
    assertStringIncludes(c.warnings.join("\n"), `layer ${l2.diffID} cannot be imported`);
  } finally {
    await Deno.remove(dest, { recursive: true });
    await Deno.remove(content.root, { recursive: true });
  }
});

Deno.test("cache round trip: a missing cache only warns", async () => {
  const missing = importer([{ type: "local", src: "/nonexistent/cache" }]);
  assertEquals(await missing.imp.lookup("aa01"), undefined);
  assertEquals(missing.warnings, ["failed to import cache type=local,src=/nonexistent/cache: not found"]);
});

Deno.test("cache round trip: type=registry through a real registry; a missing ref warns", async () => {
  const reg = await startRegistry();
  const registry = new RegistryClient();
  const { content, base, l1, l2, records } = await fixture();
  try {
    const ref = `${reg.host}/app:buildcache`;
    await exportCache({ type: "registry", ref, mode: "max", ignoreError: false }, records, { content, registry });
    const b = importer([{ type: "registry", ref: `${reg.host}/app:nothing` }, { type: "registry", ref }], registry);
    assertEquals((await b.imp.lookup("aa03"))?.layers, [base, l1, l2]);
    assertEquals(await b.content.readBytes(l2.digest), await content.readBytes(l2.digest));
    assertEquals(b.warnings.length, 1, b.warnings.join("\n"));
    assertStringIncludes(b.warnings[0], `failed to import cache type=registry,ref=${reg.host}/app:nothing: not found`);
  } finally {
    registry.close();
    await reg.stop();
    await Deno.remove(content.root, { recursive: true });
  }
});

Deno.test("inline cache: only records whose layers are all in the image", async () => {
  const { base, l1, l2, records } = await fixture();
  const doc = decodeInline(inlineCache(records, [base.diffID, l1.diffID]), "test");
  assertEquals(doc.records.map((r) => r.key), ["aa01", "aa02"]);
  assertEquals(doc.layers.map((l) => l.diffID), [base.diffID, l1.diffID]);
  assertEquals(
    doc.layers.map((l) => l.blob?.digest),
    [base.digest, undefined],
    "made layers are found in the image by diffID",
  );
  assertEquals(doc.layers.map((l) => l.asBlob), [true, undefined], "base layers stay as their image names them");
  void l2;
});
