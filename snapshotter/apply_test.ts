import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { LayerApplyError } from "./errors.ts";
import { tarBytes } from "../test/util/layer_tar.ts";
import { applyLayer } from "./apply.ts";
import { sha256Digest } from "./content_store.ts";
import { inUserNamespace } from "./mount.ts";
import { join } from "./path.ts";

Deno.test("device nodes are created where permitted, else skipped with a single warning", async () => {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-apply-" });
  try {
    const tar = await tarBytes([
      { name: "dev/null", type: "character-device", mode: 0o666, devmajor: 1, devminor: 3 },
      { name: "dev/zero", type: "character-device", mode: 0o666, devmajor: 1, devminor: 5 },
      { name: "dev/after", data: "still applied" },
    ]);
    const warnings: string[] = [];
    const r = await applyLayer(ReadableStream.from([tar]), root, { warn: (m) => warnings.push(m) });
    assertEquals(r.diffID, sha256Digest(tar));
    assertEquals(r.entries, 3);
    assertEquals(await Deno.readTextFile(join(root, "dev/after")), "still applied");
    let made: Deno.FileInfo | undefined;
    try {
      made = await Deno.lstat(join(root, "dev/null"));
    } catch { /* skipped */ }
    if (made) {
      // Where mknod works (real root), the node is exact.
      assert(made.isCharDevice);
      assertEquals(made.rdev, (1 << 8) | 3);
      assertEquals((made.mode ?? 0) & 0o777, 0o666);
      assertEquals(warnings, []);
    } else {
      assert(inUserNamespace(), "only a user namespace may refuse mknod");
      assertEquals(warnings.length, 1, warnings.join("\n"));
      assert(warnings[0].startsWith("device nodes are skipped"), warnings[0]);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an opaque marker hides lower entries but keeps what the same layer wrote before it", async () => {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-apply-" });
  try {
    await Deno.mkdir(join(root, "d/old"), { recursive: true });
    await Deno.writeTextFile(join(root, "d/lower"), "lower");
    const tar = await tarBytes([
      { name: "d/", type: "directory" },
      { name: "d/mine", data: "mine" },
      { name: "d/.wh..wh..opq" },
      { name: "d/later", data: "later" },
      { name: ".wh..", data: "" },
      { name: "x/.wh..wh..opq" },
    ]);
    await applyLayer(ReadableStream.from([tar]), root);
    assertEquals([...Deno.readDirSync(join(root, "d"))].map((e) => e.name).sort(), ["later", "mine"]);
    assert([...Deno.readDirSync(root)].some((e) => e.name === "d"), "a `.wh..` whiteout never removes the root");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a bad entry early in a big layer fails promptly instead of stalling the stream", async () => {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-apply-" });
  try {
    const tar = await tarBytes([
      { name: "hl", type: "link", linkname: "missing" },
      { name: "big", data: "x".repeat(16 << 20) },
    ]);
    const chunks = Array.from({ length: tar.length / 65536 + 1 }, (_, i) => tar.subarray(i * 65536, (i + 1) * 65536));
    await assertRejects(() => applyLayer(ReadableStream.from(chunks), root), LayerApplyError, "hl");
    await assertRejects(
      () => applyLayer(ReadableStream.from([tar.subarray(0, 700)]), root),
      LayerApplyError,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
