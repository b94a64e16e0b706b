import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { tarBytes } from "../test/util/layer_tar.ts";
import { LayerApplyError } from "./errors.ts";
import { layerTar, treeChanges } from "./diff.ts";
import { applyLayer } from "./apply.ts";
import { readXattrs } from "./xattr.ts";
import { paxExtract, rawPax } from "./tar_pax.ts";
import { inUserNamespace } from "./mount.ts";
import { sha256Digest } from "./content_store.ts";
import { join } from "./path.ts";

async function sh(script: string, cwd?: string): Promise<string> {
  const out = await new Deno.Command("sh", { args: ["-c", script], cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${script}: ${new TextDecoder().decode(out.stderr).trim()}`);
  return new TextDecoder().decode(out.stdout);
}

/** The layer tar of the whole tree `dir`, as a commit on the native snapshotter makes it. */
async function layerOf(dir: string): Promise<Uint8Array> {
  const { stream } = layerTar(treeChanges(undefined, dir), { xattrs: await readXattrs(dir), sourceDateEpoch: 0 });
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function applied(layer: Uint8Array): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "tsbuild-diff-apply-" });
  const warnings: string[] = [];
  await applyLayer(ReadableStream.from([layer]), root, { warn: (m) => warnings.push(m) });
  assertEquals(warnings, []);
  return root;
}

/** The capability text `getcap` prints for `path` ("" when it has none), without the path itself. */
async function getcap(path: string): Promise<string> {
  return (await sh(`getcap '${path}'`)).trim().slice(path.length).trim();
}

async function withDirs(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "tsbuild-diff-" });
  try {
    await fn(tmp);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const CAP = "cap_net_bind_service=ep";

/**
 * Why file capabilities cannot be tested here, or undefined when they can: inside a user namespace the kernel may
 * refuse security.capability (it stores a v3 attribute naming the namespace's root), depending on the filesystem.
 */
const capRefusal: string | undefined = await (async () => {
  const probe = await Deno.makeTempFile({ prefix: "tsbuild-setcap-" });
  try {
    await sh(`setcap cap_net_bind_service+ep '${probe}'`);
    return (await getcap(probe)) === CAP ? undefined : "setcap did not stick";
  } catch (e) {
    return `${inUserNamespace() ? "in this user namespace " : ""}${(e as Error).message}`;
  } finally {
    await Deno.remove(probe);
  }
})();

Deno.test("user.* xattrs with any bytes round-trip through diff and apply, written in sorted key order", () =>
  withDirs(async (tmp) => {
    const src = join(tmp, "src");
    await Deno.mkdir(join(src, "d"), { recursive: true });
    await Deno.writeTextFile(join(src, "d/f"), "content");
    // Set out of order, so the listing order of the filesystem is not what sorts them.
    await sh(
      `setfattr -n user.zz -v 0x00ff80 d/f && setfattr -n user.b -v text d/f && setfattr -n user.a -v 0x0a3d00 d`,
      src,
    );

    const layer = await layerOf(src);
    assertEquals(await layerOf(src), layer, "the same tree gives the same bytes");
    const extract = paxExtract();
    extract.end(layer);
    const keys: Record<string, string[]> = {};
    for await (const e of extract) {
      keys[e.header.name] = rawPax(e.header).map(([k]) => k).filter((k) => k.startsWith("SCHILY."));
      e.resume();
    }
    assertEquals(keys["d/f"], ["SCHILY.xattr.user.b", "SCHILY.xattr.user.zz"]);
    assertEquals(keys["d"], ["SCHILY.xattr.user.a"]);

    const root = await applied(layer);
    try {
      const got = await readXattrs(root);
      assertEquals(got.get(join(root, "d/f"))?.["user.zz"], Uint8Array.of(0x00, 0xff, 0x80));
      assertEquals(new TextDecoder().decode(got.get(join(root, "d/f"))?.["user.b"]), "text");
      assertEquals(got.get(join(root, "d"))?.["user.a"], Uint8Array.of(0x0a, 0x3d, 0x00));
      assertEquals(await Deno.readTextFile(join(root, "d/f")), "content");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }));

/**
 * cap_net_bind_service alone encodes as bytes below 0x80 (valid UTF-8, which text PAX values carried); adding
 * cap_setuid (bit 7) puts 0x80 in the permitted mask, which they lost.
 */
const CAPS = ["cap_net_bind_service+ep", "cap_net_bind_service,cap_setuid+ep"];

Deno.test({
  name: `security.capability set by setcap survives diff and apply, and GNU tar restores it from our layer${
    capRefusal ? ` (skipped: ${capRefusal})` : ""
  }`,
  ignore: capRefusal !== undefined,
  fn: () =>
    withDirs(async (tmp) => {
      const src = join(tmp, "src");
      await Deno.mkdir(join(src, "bin"), { recursive: true });
      for (const [i, cap] of CAPS.entries()) {
        await Deno.writeTextFile(join(src, `bin/x${i}`), "#!/bin/sh\n");
        await Deno.chmod(join(src, `bin/x${i}`), 0o755);
        await sh(`setcap ${cap} bin/x${i}`, src);
      }
      const want = await Promise.all(CAPS.map((_, i) => getcap(join(src, `bin/x${i}`))));
      assertEquals(want[0], CAP);
      assert(want[1].includes("cap_setuid"), want[1]);
      const raw = (await readXattrs(src)).get(join(src, "bin/x1"))?.["security.capability"];
      assert(raw?.some((b) => b >= 0x80), "the second capability set is not valid UTF-8");

      const layer = await layerOf(src);
      const root = await applied(layer);
      try {
        for (const [i, cap] of want.entries()) assertEquals(await getcap(join(root, `bin/x${i}`)), cap);
        assertEquals((await Deno.stat(join(root, "bin/x1"))).mode! & 0o7777, 0o755);
      } finally {
        await Deno.remove(root, { recursive: true });
      }

      // An independent reader of the same bytes.
      await Deno.writeFile(join(tmp, "layer.tar"), layer);
      await Deno.mkdir(join(tmp, "gnu"));
      await sh(`tar --xattrs --xattrs-include='*' -xpf layer.tar -C gnu`, tmp);
      for (const [i, cap] of want.entries()) assertEquals(await getcap(join(tmp, `gnu/bin/x${i}`)), cap);
    }),
});

Deno.test({
  name: `a layer GNU tar writes with security.capability applies with it${
    capRefusal ? ` (skipped: ${capRefusal})` : ""
  }`,
  ignore: capRefusal !== undefined,
  fn: () =>
    withDirs(async (tmp) => {
      await Deno.mkdir(join(tmp, "src"));
      await Deno.writeTextFile(join(tmp, "src/ping"), "x");
      await sh(
        `setcap cap_net_raw,cap_setuid+ep src/ping && tar --xattrs --xattrs-include='*' --format=posix -cf l.tar -C src ping`,
        tmp,
      );
      const want = await getcap(join(tmp, "src/ping"));
      assert(want.includes("cap_net_raw"), want);
      const root = await applied(await Deno.readFile(join(tmp, "l.tar")));
      try {
        assertEquals(await getcap(join(root, "ping")), want);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    }),
});

Deno.test("a layer without binary xattrs is what tar-stream alone wrote before (diffIDs unchanged)", () =>
  withDirs(async (tmp) => {
    // Pinned from the commit before byte-valued PAX records: a file, a dir with a UTF-8 xattr, a symlink, a long
    // name. Modes are set and mtimes clamp to 0, so
    // the bytes depend on nothing but the encoder (and the owner: root, inside a user namespace too).
    const src = join(tmp, "src");
    const long = "l/" + "n".repeat(110);
    await Deno.mkdir(join(src, "l"), { recursive: true });
    await Deno.writeTextFile(join(src, "f"), "file");
    await Deno.writeTextFile(join(src, long), "long");
    await Deno.symlink("f", join(src, "s"));
    await sh(`setfattr -n user.note -v hello l && setfattr -n user.other -v ü f`, src);
    for (const [p, mode] of [["f", 0o644], [long, 0o600], ["l", 0o755]] as const) await Deno.chmod(join(src, p), mode);
    const digest = sha256Digest(await layerOf(src));
    assert(digest === PINNED, `layer digest ${digest} differs from the one tar-stream wrote (${PINNED})`);
  }));

const PINNED = "sha256:de12815bf83f39d84c8240fd19331b0c63a3ac3789bdf30754c98e46922622f2";

Deno.test("a layer with a malformed PAX record is refused as corrupt, naming the record", async () => {
  const layer = await tarBytes([{ name: "f", data: "x", pax: { "SCHILY.xattr.user.k": "v" } }]);
  const at = new TextDecoder("latin1").decode(layer).indexOf("user.k=v");
  assert(at > 0);
  layer[at + "user.k".length] = 0x0a; // the record now lacks its '=' and ends early
  const root = await Deno.makeTempDir({ prefix: "tsbuild-diff-apply-" });
  try {
    await assertRejects(() => applyLayer(ReadableStream.from([layer]), root), LayerApplyError, "PAX record");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
