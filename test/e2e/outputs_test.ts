/**
 * Image outputs and air-gapped flows (issue #6), end to end through the CLI as root and as an unprivileged user:
 * OCI layout dir/tar, docker archive, local dir, reproducible digests, `FROM oci-layout://` with no registry,
 * `tsbuild push` of an exported layout, `tsbuild history`, metadata files; checked with skopeo and the image-spec
 * JSON schemas.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspect, skopeoInspectConfig } from "../util/oci_check.ts";
import { validate } from "../util/json_schema.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

async function skopeo(args: string[]): Promise<string> {
  const o = await new Deno.Command("skopeo", { args, stdout: "piped", stderr: "piped" }).output();
  if (!o.success) throw new Error(`skopeo ${args.join(" ")}: ${new TextDecoder().decode(o.stderr)}`);
  return new TextDecoder().decode(o.stdout);
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`outputs: layouts, docker archive, local dir and metadata files are what other tools read (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo built > /built.txt\nENV K=v\nCMD ["cat", "/built.txt"]\n` });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      const r = await runTsbuild([
        "build", "--root", store, "--progress", "plain", "-t", "example.com/app:7",
        "--output", `type=oci,dest=${out}/layout,tar=false`,
        "--output", `type=oci,dest=${out}/img.tar`,
        "--output", `type=docker,dest=${out}/docker.tar`,
        "--output", `type=local,dest=${out}/rootfs`,
        "--iidfile", `${out}/iid`, "--metadata-file", `${out}/meta.json`,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      // Every document we wrote validates against the image-spec schemas.
      const index = await readJson(`${out}/layout/index.json`);
      assertEquals(await validate("image-index-schema.json", index), []);
      assertEquals(await validate("image-layout-schema.json", await readJson(`${out}/layout/oci-layout`)), []);
      const mdesc = index.manifests[0];
      assertEquals(mdesc.annotations["org.opencontainers.image.ref.name"], "7");
      const manifest = await readJson(`${out}/layout/blobs/sha256/${mdesc.digest.slice(7)}`);
      assertEquals(await validate("image-manifest-schema.json", manifest), []);
      const config = await readJson(`${out}/layout/blobs/sha256/${manifest.config.digest.slice(7)}`);
      assertEquals(await validate("config-schema.json", config), []);
      // Independent readers agree.
      const viaDir = JSON.parse(await skopeo(["inspect", "--config", `oci:${out}/layout:7`]));
      assertEquals(viaDir.config.Cmd, ["cat", "/built.txt"]);
      const viaTar = JSON.parse(await skopeo(["inspect", `oci-archive:${out}/img.tar`]));
      assertEquals(viaTar.Digest, mdesc.digest);
      const viaDocker = JSON.parse(await skopeo(["inspect", "--config", `docker-archive:${out}/docker.tar`]));
      assertEquals(viaDocker.config.Env.includes("K=v"), true);
      assertEquals(await Deno.readTextFile(`${out}/rootfs/built.txt`), "built\n");
      assertEquals((await Deno.readTextFile(`${out}/iid`)).trim(), manifest.config.digest);
      const meta = await readJson(`${out}/meta.json`);
      assertEquals(meta["containerimage.digest"], mdesc.digest);
      assertEquals(meta["containerimage.config.digest"], manifest.config.digest);

      // `history` reads the layout like `docker image history`.
      const h = await runTsbuild(["history", "--no-trunc", `oci-layout://${out}/layout:7`], { as });
      assertEquals(h.code, 0, h.stderr);
      assertMatch(h.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
      assertStringIncludes(h.stdout, "RUN /bin/sh -c echo built > /built.txt # buildkit");
      assertStringIncludes(h.stdout, "buildkit.dockerfile.v0");

      // Air-gapped: carry the layout into a registry with `tsbuild push`, then build FROM the layout directly.
      const pushed = `${registry.host}/carried/${as}:1`;
      const p = await runTsbuild(["push", `${out}/img.tar`, pushed], { as });
      assertEquals(p.code, 0, p.stderr);
      assertEquals((await skopeoInspect(pushed)).Digest, mdesc.digest);
      const ctx2 = await makeContext({ "Dockerfile": `FROM oci-layout://${out}/layout:7\nRUN cat /built.txt > /again.txt\n` });
      const b2 = await runTsbuild(["build", "--root", store, "--output", `type=local,dest=${out}/rootfs2`, ctx2], { as });
      assertEquals(b2.code, 0, b2.stderr);
      assertEquals(await Deno.readTextFile(`${out}/rootfs2/again.txt`), "built\n");
      await removeAll(ctx2);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(out);
    }
  });

  Deno.test(`outputs: SOURCE_DATE_EPOCH gives byte-identical images across stores; --format docker (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo $RANDOM_FREE > /f && mkdir -p /d && touch /d/x\nCOPY Dockerfile /df\n` });
    const digests: string[] = [];
    for (const i of [1, 2]) {
      const store = await makeStore(owner);
      try {
        const ref = `${registry.host}/repro/${as}:${i}`;
        const r = await runTsbuild(["build", "--root", store, "--source-date-epoch", "1700000000", "-t", ref, "--push", ctx], { as });
        assertEquals(r.code, 0, r.stderr);
        digests.push((await skopeoInspect(ref)).Digest);
        const cfg = await skopeoInspectConfig(ref);
        assertEquals(cfg.created, "2023-11-14T22:13:20Z");
      } finally {
        await removeAll(store);
      }
    }
    assertEquals(digests[0], digests[1]);
    const store = await makeStore(owner);
    try {
      const ref = `${registry.host}/fmt/${as}:docker`;
      const r = await runTsbuild(["build", "--root", store, "--format", "docker", "-t", ref, "--push", ctx], { as });
      assertEquals(r.code, 0, r.stderr);
      const raw = JSON.parse(await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]));
      assertEquals(raw.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
      assert(raw.layers.every((l: { mediaType: string }) => l.mediaType === "application/vnd.docker.image.rootfs.diff.tar.gzip"));
    } finally {
      await removeAll(store);
      await removeAll(ctx);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`outputs: --squash merges the new layers (a deleted file costs nothing); zstd layers written and read (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}\nRUN head -c 2000000 /dev/urandom > /big\nRUN rm /big && echo small > /small\nRUN echo more > /more\n`,
    });
    const store = await makeStore(owner);
    try {
      const sq = `${registry.host}/squash/${as}:1`;
      const r = await runTsbuild(["build", "--root", store, "--squash", "-t", sq, "--push", ctx], { as });
      assertEquals(r.code, 0, r.stderr);
      const info = await skopeoInspect(sq);
      assertEquals(info.Layers.length, 2, "base layer + one squashed layer");
      const tmp = await Deno.makeTempDir();
      await skopeo(["copy", "-q", "--src-tls-verify=false", `docker://${sq}`, `dir:${tmp}`]);
      const listing = await new Deno.Command("sh", { args: ["-c", `gzip -dc ${tmp}/${info.Layers[1].slice(7)} | tar -t`], stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(listing.stdout).split("\n").filter(Boolean).sort(), ["more", "small"]);
      const cfg = await skopeoInspectConfig(sq);
      assertEquals(cfg.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer).length, 2);
      await removeAll(tmp);

      const z = `${registry.host}/zstd/${as}:1`;
      const rz = await runTsbuild(["build", "--root", store, "--compression", "zstd", "-t", z, "--push", ctx], { as });
      assertEquals(rz.code, 0, rz.stderr);
      const raw = JSON.parse(await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${z}`]));
      assertEquals(raw.layers.at(-1).mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
      // A build on top of the zstd image unpacks its layers.
      const ctx2 = await makeContext({ "Dockerfile": `FROM ${z}\nRUN cat /small /more > /both\n` });
      const out = await makeStore(owner);
      const r2 = await runTsbuild(["build", "--root", await makeStore(owner), "--output", `type=local,dest=${out}/fs`, ctx2], { as });
      assertEquals(r2.code, 0, r2.stderr);
      assertEquals(await Deno.readTextFile(`${out}/fs/both`), "small\nmore\n");
      await removeAll(ctx2);
      await removeAll(out);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test("outputs: FROM a docker.io image through --registry-mirror with no route to docker.io (user)", async () => {
  await pushBusyboxImage(registry.host, "library/busybox", "mirrored");
  const ctx = await makeContext({ "Dockerfile": `FROM busybox:mirrored\nRUN echo via-mirror > /m\n` });
  const store = await makeStore(user);
  const out = await makeStore(user);
  try {
    const r = await runTsbuild(["build", "--root", store, "--registry-mirror", `docker.io=${registry.host}`, "--output", `type=local,dest=${out}/fs`, ctx], { as: "user" });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(await Deno.readTextFile(`${out}/fs/m`), "via-mirror\n");
  } finally {
    await removeAll(ctx);
    await removeAll(store);
    await removeAll(out);
  }
});

for (const as of ["root", "user"] as const) {
  Deno.test(`outputs: -t keeps the image in the store: FROM it, images, history, push, rmi (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const store = await makeStore(owner);
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo base > /base\n` });
    const ctx2 = await makeContext({ "Dockerfile": `FROM localbase:${as}\nRUN cat /base > /child\n` });
    try {
      assertEquals((await runTsbuild(["build", "--root", store, "-t", `localbase:${as}`, ctx], { as })).code, 0);
      const b = await runTsbuild(["build", "--root", store, "-t", `child:${as}`, ctx2], { as });
      assertEquals(b.code, 0, b.stderr);
      const images = await runTsbuild(["images", "--root", store], { as });
      assertMatch(images.stdout, new RegExp(`^child\\s+${as}\\s+[0-9a-f]{12}`, "m"));
      assertMatch(images.stdout, new RegExp(`^localbase\\s+${as}\\s`, "m"));
      const h = await runTsbuild(["history", "--root", store, "--no-trunc", `child:${as}`], { as });
      assertStringIncludes(h.stdout, "RUN /bin/sh -c cat /base > /child # buildkit");
      assertStringIncludes(h.stdout, "RUN /bin/sh -c echo base > /base # buildkit");
      const ref = `${registry.host}/local/child:${as}`;
      const p = await runTsbuild(["push", "--root", store, `child:${as}`, ref], { as });
      assertEquals(p.code, 0, p.stderr);
      assertEquals((await skopeoInspect(ref)).Layers.length, 3);
      assertEquals((await runTsbuild(["rmi", "--root", store, `localbase:${as}`], { as })).code, 0);
      const gone = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx2], { as });
      assert(gone.code !== 0, "FROM a removed local name falls back to the registry, where it does not exist");
    } finally {
      await removeAll(ctx);
      await removeAll(ctx2);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "outputs: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
