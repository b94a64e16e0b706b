/**
 * Every snapshotter's contract beyond unpack and commit: containerd's key rules, large files, hostile layers, wrong
 * diffIDs, concurrent unpacks and a killed process's leftovers; then the automatic choice and memory bounds.
 */
import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { sha256Digest } from "./content_store.ts";
import { LayerApplyError, SnapshotError } from "./errors.ts";
import { isMountPoint } from "./mount.ts";
import { LayerCompressor, type LayerDescriptor, LayerStore } from "./mod.ts";
import { join } from "./path.ts";
import { addLayer, available, base1, base2, best, order, userns, withStore } from "./testutil_test.ts";

for (const kind of order) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${kind}: ${name}`, ignore: !available(kind), fn, sanitizeResources: false });
  test("the Snapshotter keeps containerd's rules for keys, parents and kinds", () =>
    withStore(kind, async (store) => {
      const sn = store.snapshotter;
      const m = await sn.prepare("a");
      assertEquals(m.length, 1);
      assertEquals((await sn.stat("a"))?.kind, "active");
      await assertRejects(() => sn.prepare("a"), SnapshotError, "already exists");
      await assertRejects(() => sn.prepare("b", "a"), SnapshotError, "not a committed snapshot");
      await Deno.writeTextFile(join(m[0].source, "f"), "f");
      await sn.commit("c", "a");
      assertEquals(await sn.stat("a"), undefined);
      assertEquals(await sn.stat("c"), { name: "c", parent: undefined, kind: "committed" });
      const child = await sn.prepare("b", "c");
      assertEquals(child[0].type, kind === "native" ? "bind" : kind === "overlay" ? "overlay" : "fuse3.fuse-overlayfs");
      if (kind !== "native") assert(child[0].options.some((o) => o.startsWith("upperdir=")));
      const view = await sn.view("v", "c");
      assertEquals(view[0].type, "bind");
      assert(view[0].options.includes("ro"));
      assertEquals((await sn.stat("v"))?.kind, "view");
      await assertRejects(() => sn.commit("d", "v"), SnapshotError, "not active");
      await assertRejects(() => sn.remove("c"), SnapshotError, "parent");
      await sn.remove("b");
      await sn.remove("v");
      await sn.remove("c");
      assertEquals(Object.keys((await sn.meta.read()).snapshots), []);
      await assertRejects(() => sn.mounts("c"), SnapshotError, "does not exist");
      if (kind === "overlay") {
        // A store whose opaque dirs are in the other xattr namespace is refused rather than misread.
        await sn.meta.update((m) => void (m.overlayXattr = userns ? "trusted" : "user"));
        await assertRejects(() => sn.prepare("x"), SnapshotError, "use a separate store");
      }
    }));

  test("a file larger than any buffer streams through diff, gzip and apply unchanged", () =>
    withStore(kind, async (store) => {
      const active = await store.prepareMounted(undefined);
      const chunk = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 256);
      const f = await Deno.open(join(active.rootfs, "big"), { write: true, create: true });
      for (let i = 0; i < 24; i++) await f.write(chunk);
      f.close();
      const { layer: tar } = await store.commit(active);
      assertEquals([tar.mediaType, tar.digest, tar.size > 24 << 20], [
        "application/vnd.oci.image.layer.v1.tar",
        tar.diffID,
        true,
      ]);
      const layer = await new LayerCompressor(store.content).compressed(tar, {
        compression: "gzip",
        level: 1,
      });
      assertEquals([layer.mediaType, layer.diffID], ["application/vnd.oci.image.layer.v1.tar+gzip", tar.diffID]);
      assert(layer.size < 24 << 20, "compressed");
      await withStore(kind, async (other) => {
        await other.content.writeBytes(await store.content.readBytes(layer.digest));
        const v = await other.viewMounted(await other.unpack([layer]));
        try {
          const got = await Deno.readFile(join(v.rootfs, "big"));
          assertEquals(got.length, 24 << 20);
          assertEquals(sha256Digest(got.subarray(0, 1 << 20)), sha256Digest(chunk));
          assertEquals(sha256Digest(got.subarray(23 << 20)), sha256Digest(chunk));
        } finally {
          await v.release();
        }
      });
    }));

  test("hostile layers never write outside the snapshot", () =>
    withStore(kind, async (store) => {
      const outside = await Deno.makeTempDir({ prefix: "tsbuild-outside-" });
      try {
        await Deno.writeTextFile(join(outside, "secret"), "secret");
        const layer = await addLayer(store, [
          { name: `../../../../../..${outside}/esc1`, data: "1" },
          { name: `${outside}/esc2`, data: "2" },
          { name: "evil", type: "symlink", linkname: outside },
          { name: "evil/esc3", data: "3" },
          { name: "rel", type: "symlink", linkname: `../../../../../../../..${outside}` },
          { name: "rel/esc4", data: "4" },
          { name: "d/up", type: "symlink", linkname: "../../../../../../.." },
          { name: `d/up${outside}/esc5`, data: "5" },
          { name: "evil", type: "symlink", linkname: "/etc" },
          { name: "evil", data: "replaced the symlink, not its target" },
        ]);
        const name = await store.unpack([layer]);
        assertEquals([...Deno.readDirSync(outside)].map((e) => e.name), ["secret"]);
        const view = await store.viewMounted(name);
        try {
          for (const n of ["esc1", "esc2", "esc3", "esc4", "esc5"]) {
            assertEquals(await Deno.readTextFile(join(view.rootfs, outside, n)), n.slice(3));
          }
          assertEquals(await Deno.readTextFile(join(view.rootfs, "evil")), "replaced the symlink, not its target");
        } finally {
          await view.release();
        }
        const hardlink = await addLayer(store, [
          { name: "evil", type: "symlink", linkname: outside },
          { name: "hl", type: "link", linkname: "evil/secret" },
        ]);
        await assertRejects(() => store.unpack([hardlink]), LayerApplyError, "hl");
        const traverse = await addLayer(store, [{
          name: "hl",
          type: "link",
          linkname: `../../../..${outside}/secret`,
        }]);
        await assertRejects(() => store.unpack([traverse]), LayerApplyError);
        assertEquals((await Deno.lstat(join(outside, "secret"))).nlink, 1);
        assertEquals(await Deno.readTextFile(join(outside, "secret")), "secret");
      } finally {
        await Deno.remove(outside, { recursive: true });
      }
    }));

  test("a wrong diffID is refused and leaves no snapshot", () =>
    withStore(kind, async (store) => {
      const l = await addLayer(store, [{ name: "f", data: "f" }]);
      const lie = { ...l, diffID: sha256Digest("something else") };
      await assertRejects(() => store.unpack([lie]), LayerApplyError, "diffID");
      assertEquals(await store.hasSnapshot(lie.diffID), false);
      const meta = await store.snapshotter.meta.read();
      assertEquals(Object.keys(meta.snapshots), []);
    }));

  test("concurrent unpacks of the same image agree, and fetch is called for missing blobs", () =>
    withStore(kind, async (store, root) => {
      const l1 = await addLayer(store, base1);
      const l2 = await addLayer(store, base2);
      const second = await LayerStore.open(root, { snapshotter: kind });
      const blob2 = await store.content.readBytes(l2.digest);
      await store.content.delete(l2.digest);
      const fetched: string[] = [];
      const fetch = async (l: LayerDescriptor) => {
        fetched.push(l.digest);
        await store.content.writeBytes(blob2);
      };
      const [a, b] = await Promise.all([store.unpack([l1, l2], fetch), second.unpack([l1, l2], fetch)]);
      assertEquals(a, b);
      assert(fetched.length >= 1 && fetched.every((d) => d === l2.digest));
      const meta = await store.snapshotter.meta.read();
      assertEquals(Object.values(meta.snapshots).map((s) => s.kind), ["committed", "committed"]);
    }));

  test("leftovers of a killed process (active snapshot, its mount, ingest file) are cleaned on open", () =>
    withStore(kind, async (store, root) => {
      const base = await store.unpack([await addLayer(store, base1)]);
      const script = `
        import { LayerStore } from ${JSON.stringify(new URL("./mod.ts", import.meta.url).href)};
        const s = await LayerStore.open(${JSON.stringify(root)}, { snapshotter: ${JSON.stringify(kind)} });
        const a = await s.prepareMounted(${JSON.stringify(base)});
        await Deno.writeTextFile(a.rootfs + "/half-done", "x");
        await Deno.writeTextFile(${JSON.stringify(root)} + "/ingest/" + Deno.pid + "-partial", "x");
        console.log(JSON.stringify({ key: a.key, rootfs: a.rootfs }));
        Deno.exit(0);`;
      const out = await new Deno.Command(Deno.execPath(), { args: ["eval", script], stderr: "inherit" }).output();
      assert(out.success, "child ran");
      const { key, rootfs } = JSON.parse(new TextDecoder().decode(out.stdout));
      assertEquals((await store.snapshotter.stat(key))?.kind, "active");
      const reopened = await LayerStore.open(root, { snapshotter: kind });
      assertEquals(await reopened.snapshotter.stat(key), undefined);
      assertEquals(await isMountPoint(rootfs), false);
      assertEquals([...Deno.readDirSync(join(root, "ingest"))].length, 0);
      const dirs = [...Deno.readDirSync(join(root, "snapshots"))].map((e) => e.name).filter((n) => /^\d+$/.test(n));
      assertEquals(dirs.length, 1, "only the committed base remains");
      assert(await reopened.hasSnapshot(base!));
    }));
}

Deno.test({
  name: "auto picks the best working snapshotter once and records it",
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "tsbuild-auto-" });
    try {
      const s = await LayerStore.open(root);
      assertEquals(s.kind, best);
      assertEquals(JSON.parse(await Deno.readTextFile(join(root, "snapshotter.json"))).kind, best);
      if (!userns && best !== "native") assertEquals(s.kind, "overlay");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "commit and unpack stream: memory does not grow with the layer (128 MiB incompressible file), gzipped too",
  sanitizeResources: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "tsbuild-mem-" });
    try {
      const store = await LayerStore.open(root);
      const active = await store.prepareMounted(undefined);
      const f = await Deno.open(join(active.rootfs, "big"), { write: true, create: true });
      const chunk = crypto.getRandomValues(new Uint8Array(65536));
      for (let i = 0; i < 2048; i++) await f.write(chunk);
      f.close();
      const before = Deno.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 5);
      let tar, name;
      try {
        ({ layer: tar, name } = await store.commit(active));
        assert(tar.size > 128 << 20, "the whole file is in the layer");
        // Kept as its snapshot (derived_layers.ts): written out before the snapshot goes, streamed as well.
        await store.content.materialize(tar.digest);
        await store.snapshotter.remove(name);
        assertEquals(await store.unpack([tar]), name);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, Deno.memoryUsage().rss);
      assert(peak - before < 64 << 20, `rss grew by ${((peak - before) / 2 ** 20).toFixed(1)} MiB`);
      // Its gzip form (worker threads: a fixed cost, bounded blocks in flight, see gzip_test.ts) unpacks the same.
      const gz = await new LayerCompressor(store.content).compressed(tar, { compression: "gzip" });
      assert(gz.size > 128 << 20, "incompressible data stays big");
      await store.snapshotter.remove(name);
      assertEquals(await store.unpack([gz]), name);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
