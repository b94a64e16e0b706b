import { assert, assertEquals } from "../test/util/assert.ts";
import { layerTar, treeChanges } from "./diff.ts";
import { TarBodies } from "./tar_bodies.ts";

/** A tree with short and long names (ustar prefix, PAX path), an empty file, a big one and a symlink. */
async function tree(dir: string): Promise<Record<string, Uint8Array>> {
  const long = `${"d".repeat(90)}/${"e".repeat(60)}`; // prefix + name
  const longer = "f".repeat(180); // no split fits: a PAX path record
  const files: Record<string, Uint8Array> = {
    "a.txt": new TextEncoder().encode("alpha\n"),
    "empty": new Uint8Array(0),
    [`${long}/x.bin`]: crypto.getRandomValues(new Uint8Array(3000)),
    [`${longer}.txt`]: new TextEncoder().encode("long name\n"),
    "z/big": crypto.getRandomValues(new Uint8Array(65536)),
  };
  for (const [rel, data] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${rel.slice(0, rel.lastIndexOf("/") + 1)}`, { recursive: true });
    await Deno.writeFile(`${dir}/${rel}`, data);
  }
  await Deno.symlink("a.txt", `${dir}/link`);
  return files;
}

Deno.test("TarBodies: each regular file's body from a layer tar, in tar order, by name and size", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tsbuild-tar-bodies-" });
  try {
    const files = await tree(`${tmp}/t`);
    const { stream } = layerTar(treeChanges(undefined, `${tmp}/t`));
    await Deno.writeFile(`${tmp}/layer.tar`, new Uint8Array(await new Response(stream).arrayBuffer()));

    // In the layer's order (the tree's sorted walk), every file comes back byte for byte.
    const names = Object.keys(files).sort();
    const bodies = new TarBodies(`${tmp}/layer.tar`);
    for (const name of names) assertEquals(bodies.take(name, files[name].byteLength), files[name], name);
    bodies.close();

    // Entries may be passed over; a wrong size, a name that is not there (or already behind) ends the reuse.
    const skipping = new TarBodies(`${tmp}/layer.tar`);
    assertEquals(skipping.take("z/big", 65536), files["z/big"]);
    assertEquals(skipping.take("a.txt", 6), undefined, "behind the cursor");
    const sized = new TarBodies(`${tmp}/layer.tar`);
    assertEquals(sized.take("a.txt", 7), undefined);
    assertEquals(sized.take("z/big", 65536), undefined, "stopped for good");
    assertEquals(new TarBodies(`${tmp}/layer.tar`).take("link", 5), undefined, "a symlink has no body");
    assertEquals(new TarBodies(`${tmp}/missing.tar`).take("a.txt", 6), undefined);

    // Not a tar at all: nothing is taken, nothing throws.
    await Deno.writeTextFile(`${tmp}/junk.tar`, "x".repeat(2000));
    assertEquals(new TarBodies(`${tmp}/junk.tar`).take("a.txt", 6), undefined);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
