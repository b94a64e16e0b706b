/**
 * Big built layers are kept as their snapshot (derived_layers.ts): read back byte-equal and verified, refused once
 * their snapshot changed or went, written out by `materialize`; small ones stay blobs. Every snapshotter here.
 */
import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { BlobNotFoundError } from "./errors.ts";
import { LayerRegenerationError, STORED_LAYER_LIMIT } from "./derived_layers.ts";
import type { LayerStore } from "./layer_store.ts";
import { sha256 } from "./node.ts";
import { join } from "./path.ts";
import { addLayer, available, base1, order, tree, withStore } from "./testutil_test.ts";

async function digestOf(stream: ReadableStream<Uint8Array>): Promise<{ digest: string; bytes: number }> {
  const h = sha256();
  let bytes = 0;
  for await (const c of stream) {
    h.update(c);
    bytes += c.byteLength;
  }
  return { digest: "sha256:" + h.digest("hex"), bytes };
}

/** A RUN-like change on top of base1: a big random file, an edit and a deletion (a whiteout). */
async function bigChange(store: LayerStore) {
  const parent = await store.unpack([await addLayer(store, base1)]);
  const active = await store.prepareMounted(parent);
  const f = await Deno.open(join(active.rootfs, "big"), { write: true, createNew: true });
  for (let i = 0; i < 41; i++) await f.write(crypto.getRandomValues(new Uint8Array(65536)));
  f.close();
  await Deno.writeTextFile(join(active.rootfs, "home/user/f"), "edited");
  await Deno.remove(join(active.rootfs, "tmp"), { recursive: true });
  return await store.commit(active, { sourceDateEpoch: 1_700_000_000 });
}

for (const kind of order) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${kind}: ${name}`, ignore: !available(kind), fn, sanitizeResources: false });

  test("a big layer is kept as its snapshot, read back verified, and written out by materialize", () =>
    withStore(kind, async (store) => {
      const { name, layer } = await bigChange(store);
      assert(layer.size > STORED_LAYER_LIMIT);
      assert(!(await store.content.isFile(layer.digest)), "no second copy of the tar");
      assertEquals(await store.content.size(layer.digest), layer.size);
      assertEquals(await digestOf(store.content.readStream(layer.digest)), { digest: layer.diffID, bytes: layer.size });

      // The bytes are the layer: applied elsewhere they give the committed tree.
      const other = await store.prepareMounted(undefined);
      try {
        const { applyLayer } = await import("./apply.ts");
        const r = await applyLayer(store.content.readStream(layer.digest), other.rootfs);
        assertEquals(r.diffID, layer.diffID);
        assertEquals((await Deno.stat(join(other.rootfs, "big"))).size, 41 * 65536);
        assertEquals(await Deno.readTextFile(join(other.rootfs, "home/user/f")), "edited");
      } finally {
        await other.release();
      }

      await store.content.materialize(layer.digest);
      assert(await store.content.isFile(layer.digest));
      assertEquals(await digestOf(store.content.readStream(layer.digest)), { digest: layer.diffID, bytes: layer.size });
      const view = await store.viewMounted(name);
      try {
        assertEquals((await tree(view.rootfs))["big"]?.split(" ")[0], "file");
      } finally {
        await view.release();
      }
    }));

  test("a snapshot changed behind the store's back fails the read at its end and is no longer trusted", () =>
    withStore(kind, async (store) => {
      const { name, layer } = await bigChange(store);
      const rec = await store.snapshotter.record(name);
      await Deno.writeTextFile(join(store.snapshotter.fsDir(rec.id), "home/user/f"), "tampered");
      const err = await assertRejects(() => digestOf(store.content.readStream(layer.digest)), LayerRegenerationError);
      assert(err.message.includes(layer.diffID) && err.message.includes(name), err.message);
      assertEquals(await store.content.has(layer.digest), false, "the cache check now misses and the step reruns");
    }));

  test("without its snapshot a kept layer is not in the store; small layers and layers of small files are blobs", () =>
    withStore(kind, async (store, root) => {
      const small = await store.prepareMounted(undefined);
      await Deno.writeTextFile(join(small.rootfs, "a"), "a");
      const { layer: l } = await store.commit(small);
      assert(await store.content.isFile(l.digest));

      // Over the size limit but made of small files: writing it once beats making it again.
      const many = await store.prepareMounted(undefined);
      for (let i = 0; i < 400; i++) {
        await Deno.writeFile(join(many.rootfs, `f${i}`), crypto.getRandomValues(new Uint8Array(5000)));
      }
      const { layer: m } = await store.commit(many);
      assert(m.size > STORED_LAYER_LIMIT && await store.content.isFile(m.digest));
      assertEquals(await digestOf(store.content.readStream(m.digest)), { digest: m.diffID, bytes: m.size });

      const { layer } = await bigChange(store);
      await Deno.remove(join(root, "snapshots"), { recursive: true }); // as prune does
      assertEquals(await store.content.has(layer.digest), false);
      await assertRejects(() => digestOf(store.content.readStream(layer.digest)), BlobNotFoundError);
      await assertRejects(() => store.content.materialize(layer.digest), BlobNotFoundError);
    }));
}
