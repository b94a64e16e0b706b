/**
 * Lazy layer compression (issue #4), end to end as root and as an unprivileged user: a build kept in the store
 * computes no gzip; `tsbuild push` compresses its layers once and remembers them; switching `--compression` reruns
 * no step; force-compression recompresses the base layers too; what reaches the registry is read back with skopeo
 * and umoci.
 */
import { assert, assertEquals } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspectConfig, skopeoInspectRaw, unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

async function files(dir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

for (const as of ["root", "user"] as const) {
  Deno.test(`compression: kept builds stay uncompressed, push compresses once, --compression reruns nothing (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      // The RUN layer (over 1 MiB) is kept as its snapshot and made again for the push.
      "Dockerfile":
        `FROM ${base}\nCOPY app.txt /app.txt\nRUN seq 1 20000 > /numbers && head -c 3000000 /dev/urandom > /noise\n`,
      "app.txt": "app\n".repeat(1000),
    });
    const store = await makeStore(owner);
    const tag = `${registry.host}/lazy/${as}:1`;
    try {
      const iid = join(store, "iid");
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "--iidfile", iid, "-t", tag, ctx], {
        as,
      });
      assertEquals(r.code, 0, r.stderr);
      const images = JSON.parse(await Deno.readTextFile(join(store, "images.json")));
      const rec = images[tag];
      assertEquals(rec.compression, { compression: "gzip" });
      const manifest = JSON.parse(await Deno.readTextFile(join(store, "blobs/sha256", rec.manifestDigest.slice(7))));
      const own = manifest.layers.slice(-2);
      assertEquals(
        own.map((l: { mediaType: string }) => l.mediaType),
        Array(2).fill("application/vnd.oci.image.layer.v1.tar"),
      );
      assertEquals(await files(join(store, "compressed")), [], "a build kept in the store compresses nothing");
      const blobFile = (d: string) => Deno.stat(join(store, "blobs/sha256", d.slice(7))).then(() => true, () => false);
      assertEquals(
        [await blobFile(own[0].digest), await blobFile(own[1].digest)],
        [true, false],
        "small layers are files, big ones snapshots",
      );
      assert(own[1].size > 3000000);

      const p = await runTsbuild(["push", "--root", store, tag], { as });
      assertEquals(p.code, 0, p.stderr);
      const raw = await skopeoInspectRaw(tag);
      assertEquals(
        raw.layers.map((l: { mediaType: string }) => l.mediaType),
        Array(raw.layers.length).fill("application/vnd.oci.image.layer.v1.tar+gzip"),
      );
      assertEquals(
        raw.config.digest,
        (await Deno.readTextFile(iid)).trim(),
        "the image ID does not change with compression",
      );
      const cfg = await skopeoInspectConfig(tag);
      assertEquals(
        cfg.rootfs.diff_ids.slice(-2),
        own.map((l: { digest: string }) => l.digest),
        "diffIDs are the tar digests",
      );
      const rootfs = await unpackWithUmoci(tag);
      try {
        assertEquals((await Deno.readTextFile(join(rootfs, "numbers"))).split("\n")[19999], "20000");
        assertEquals((await Deno.stat(join(rootfs, "noise"))).size, 3000000);
        assertEquals(await Deno.readTextFile(join(rootfs, "app.txt")), "app\n".repeat(1000));
      } finally {
        await removeAll(join(rootfs, ".."));
      }
      const remembered = await files(join(store, "compressed"));
      assertEquals(remembered.length, 2, remembered.join(" "));
      const after = JSON.parse(await Deno.readTextFile(join(store, "images.json")))[tag];
      assertEquals([after.compression, after.manifestDigest !== rec.manifestDigest], [undefined, true]);

      // The same image under another name: nothing is compressed again and every layer already exists.
      const again = await runTsbuild(["push", "--root", store, tag, `${registry.host}/lazy/${as}:2`], { as });
      assertEquals(again.code, 0, again.stderr);
      assertEquals(await files(join(store, "compressed")), remembered);
      assertEquals((await skopeoInspectRaw(`${registry.host}/lazy/${as}:2`)).layers, raw.layers);

      // zstd: every step is a cache hit (compression is not in a key); only the two own layers change blob.
      const z = `${registry.host}/lazy/${as}:zstd`;
      const rz = await runTsbuild([
        "build",
        "--root",
        store,
        "--progress",
        "plain",
        "--compression",
        "zstd",
        "-t",
        z,
        "--push",
        ctx,
      ], { as });
      assertEquals(rz.code, 0, rz.stderr);
      const ran = steps(rz.stderr);
      assertEquals(ran.ran.filter((s) => /^(RUN|COPY)/.test(s)), [], rz.stderr);
      assertEquals(ran.cached.filter((s) => /^(RUN|COPY)/.test(s)).length, 2, rz.stderr);
      const rawZ = await skopeoInspectRaw(z);
      assertEquals(
        rawZ.layers.slice(-2).map((l: { mediaType: string }) => l.mediaType),
        Array(2).fill("application/vnd.oci.image.layer.v1.tar+zstd"),
      );
      assertEquals(rawZ.layers.slice(0, -2), raw.layers.slice(0, -2), "base layers are pushed as they came");
      assertEquals(rawZ.config.digest, raw.config.digest);

      // force-compression=true: the base layers are recompressed too, each still its diffID once decompressed.
      const f = `${registry.host}/lazy/${as}:force`;
      const rf = await runTsbuild([
        "build",
        "--root",
        store,
        "-o",
        `type=image,name=${f},push=true,compression=zstd,force-compression=true`,
        ctx,
      ], { as });
      assertEquals(rf.code, 0, rf.stderr);
      const rawF = await skopeoInspectRaw(f);
      assertEquals(
        rawF.layers.map((l: { mediaType: string }) => l.mediaType),
        Array(rawF.layers.length).fill("application/vnd.oci.image.layer.v1.tar+zstd"),
      );
      assertEquals(rawF.layers.slice(-2), rawZ.layers.slice(-2), "the built layers' zstd blobs are reused");
      const diffIDs = (await skopeoInspectConfig(f)).rootfs.diff_ids;
      for (const [i, l] of rawF.layers.entries()) {
        const blob = await fetch(`http://${registry.host}/v2/lazy/${as}/blobs/${l.digest}`);
        const tar = await new Deno.Command("zstd", { args: ["-d", "-c"], stdin: "piped", stdout: "piped" }).spawn();
        const [, out] = await Promise.all([blob.body!.pipeTo(tar.stdin), tar.output()]);
        const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", out.stdout))]
          .map((b) => b.toString(16).padStart(2, "0")).join("");
        assertEquals(`sha256:${hex}`, diffIDs[i]);
      }
    } finally {
      await removeAll(store);
      await removeAll(ctx);
    }
  });
}
