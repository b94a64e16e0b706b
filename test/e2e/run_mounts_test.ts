/**
 * `RUN --mount` (cache, bind, tmpfs), `RUN --network` and the run-time /etc/hosts and /etc/resolv.conf (issue #5),
 * end to end through the CLI as root and as the unprivileged user. What a RUN saw is written into the image and
 * read back with umoci; what must never be committed is checked in every layer tar as well as in the unpacked tree.
 */
import { assert, assertEquals } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();
const dec = new TextDecoder();

/** Every path in every layer tar of `ref` (as GNU tar lists them, `./` stripped), read with skopeo + tar. */
async function layerPaths(ref: string): Promise<string[][]> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-layers-" });
  try {
    await tool("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${dir}:img`]);
    const index = JSON.parse(await Deno.readTextFile(`${dir}/index.json`));
    const blob = (d: string) => `${dir}/blobs/sha256/${d.slice("sha256:".length)}`;
    const manifest = JSON.parse(await Deno.readTextFile(blob(index.manifests[0].digest)));
    const out: string[][] = [];
    for (const l of manifest.layers) {
      const list = await tool("tar", ["-tf", blob(l.digest)]);
      out.push(list.split("\n").filter((p) => p).map((p) => p.replace(/^\.?\//, "")));
    }
    return out;
  } finally {
    await removeAll(dir);
  }
}

async function tool(cmd: string, args: string[]): Promise<string> {
  const o = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  if (!o.success) throw new Error(`${cmd} ${args.join(" ")} exited ${o.code}: ${dec.decode(o.stderr)}`);
  return dec.decode(o.stdout);
}

const exists = (p: string) => Deno.lstat(p).then(() => true, () => false);

/** Interface names listed by a /proc/net/dev text. */
function interfaces(netDev: string): string[] {
  return netDev.split("\n").slice(2).map((l) => l.split(":")[0].trim()).filter((n) => n).sort();
}

const MOUNTS_DOCKERFILE = `FROM ${base} AS src
RUN mkdir -p /x && echo from-stage > /x/file

FROM ${base}
ARG ROUND
# cache: the first user creates it with the requested owner and mode; the same id under another target shares it
RUN --mount=type=cache,id=c1,target=/a,sharing=locked,uid=1234,gid=2345,mode=0750 stat -c '%u %g %a' /a > /a-owner && echo "$ROUND" >> /a/marker
RUN --mount=type=cache,id=c1,target=/b,sharing=locked cat /b/marker > /b-seen
RUN --mount=type=cache,id=other,target=/a ls -A /a | wc -l > /other-count
RUN --mount=type=cache,target=/c,sharing=private (cat /c/log 2>/dev/null || true) > /c-seen && echo "$ROUND" >> /c/log
# bind from a stage: read-only by default; rw changes are discarded
RUN --mount=type=bind,from=src,source=/x,target=/y cat /y/file > /from-stage && (touch /y/q 2>/dev/null && echo rw || echo ro) > /stage-default
RUN --mount=type=bind,from=src,source=/x,target=/y,rw echo changed > /y/file && echo new > /y/new && cat /y/file > /rw-stage
RUN --mount=type=bind,from=src,source=/x,target=/y ls /y > /stage-after-list && cat /y/file > /stage-after
# bind from the context (the default source)
RUN --mount=type=bind,target=/ctx cat /ctx/sub/subfile > /from-ctx && (touch /ctx/q 2>/dev/null && echo rw || echo ro) > /ctx-default
RUN --mount=type=bind,source=sub,target=/ctx,rw echo changed > /ctx/subfile && rm /ctx/del && touch /ctx/new && ls /ctx > /ctx-rw-list
RUN --mount=type=bind,source=sub,target=/ctx ls /ctx > /ctx-after-list && cat /ctx/subfile > /ctx-after
# tmpfs
RUN --mount=type=tmpfs,target=/tmpd echo x > /tmpd/f && grep ' /tmpd ' /proc/mounts | cut -d' ' -f3 > /tmpd-type
# network
RUN --network=none cat /proc/net/dev > /net-none
RUN --network=host cat /proc/net/dev > /net-host
RUN cat /proc/net/dev > /net-default
# run-time /etc files: present, read-only (as BuildKit mounts them), never committed
RUN cat /etc/hosts > /hosts-seen && cat /etc/resolv.conf > /resolv-seen && (echo '192.0.2.1 x' >> /etc/hosts 2>/dev/null && echo writable || echo readonly) > /hosts-write
`;

/** Paths a RUN only mounted: none may appear in any layer. */
const NEVER_COMMITTED = ["a", "b", "c", "y", "ctx", "tmpd", "etc/hosts", "etc/resolv.conf", "run"];

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`run mounts: cache, bind, tmpfs, network and /etc files (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": MOUNTS_DOCKERFILE,
      "sub/subfile": "ctx-original\n",
      "sub/del": "keep me\n",
    });
    const store = await makeStore(owner);
    const ref1 = `${registry.host}/mounts/${as}:1`;
    const ref2 = `${registry.host}/mounts/${as}:2`;
    const roots: string[] = [];
    try {
      const b1 = await runTsbuild(
        ["build", "--root", store, "--progress", "plain", "--build-arg", "ROUND=1", "-t", ref1, "--push", ctx],
        { as },
      );
      assertEquals(b1.code, 0, `first build failed:\n${b1.stderr}`);
      // The second build runs every step again (--no-cache) and must find what the first left in the caches.
      const b2 = await runTsbuild(
        [
          "build",
          "--root",
          store,
          "--progress",
          "plain",
          "--no-cache",
          "--build-arg",
          "ROUND=2",
          "-t",
          ref2,
          "--push",
          ctx,
        ],
        { as },
      );
      assertEquals(b2.code, 0, `second build failed:\n${b2.stderr}`);

      const r1 = await unpackWithUmoci(ref1);
      roots.push(r1);
      const r2 = await unpackWithUmoci(ref2);
      roots.push(r2);
      const read = (root: string, p: string) => Deno.readTextFile(join(root, p));

      // Cache mounts.
      assertEquals(await read(r1, "a-owner"), "1234 2345 750\n");
      assertEquals(await read(r1, "b-seen"), "1\n", "same id, other target: same dir");
      assertEquals((await read(r1, "other-count")).trim(), "0", "another id is another dir");
      assertEquals(await read(r1, "c-seen"), "");
      assertEquals(await read(r2, "b-seen"), "1\n2\n", "the cache persisted between builds");
      assertEquals(await read(r2, "c-seen"), "1\n", "a private cache persists too");
      assertEquals(await read(r2, "a-owner"), "1234 2345 750\n");

      // Bind from a stage.
      assertEquals(await read(r1, "from-stage"), "from-stage\n");
      assertEquals(await read(r1, "stage-default"), "ro\n");
      assertEquals(await read(r1, "rw-stage"), "changed\n");
      assertEquals(await read(r1, "stage-after"), "from-stage\n", "rw changes to a stage mount are discarded");
      assertEquals(await read(r1, "stage-after-list"), "file\n");

      // Bind from the context.
      assertEquals(await read(r1, "from-ctx"), "ctx-original\n");
      assertEquals(await read(r1, "ctx-default"), "ro\n");
      assertEquals(await read(r1, "ctx-rw-list"), "new\nsubfile\n");
      assertEquals(await read(r1, "ctx-after-list"), "del\nsubfile\n", "rw changes to a context mount are discarded");
      assertEquals(await read(r1, "ctx-after"), "ctx-original\n");
      assertEquals(await Deno.readTextFile(join(ctx, "sub/subfile")), "ctx-original\n", "the context is untouched");
      assert(await exists(join(ctx, "sub/del")) && !(await exists(join(ctx, "sub/new"))), "the context is untouched");

      // tmpfs.
      assertEquals(await read(r1, "tmpd-type"), "tmpfs\n");

      // Network: none has loopback only; default and host share the host's interfaces (as rootless BuildKit).
      const hostIfs = interfaces(await Deno.readTextFile("/proc/net/dev"));
      assertEquals(interfaces(await read(r1, "net-none")), ["lo"]);
      assertEquals(interfaces(await read(r1, "net-host")), hostIfs);
      assertEquals(interfaces(await read(r1, "net-default")), hostIfs);

      // /etc/hosts and /etc/resolv.conf during the RUN.
      const hosts = await read(r1, "hosts-seen");
      assert(/^127\.0\.0\.1\s+localhost/m.test(hosts), `hosts seen by RUN: ${hosts}`);
      const hostResolv = await Deno.readTextFile("/etc/resolv.conf").catch(() => "");
      const resolv = await read(r1, "resolv-seen");
      if (/^\s*nameserver\s/m.test(hostResolv)) assertEquals(resolv, hostResolv);
      else assert(/^nameserver\s/m.test(resolv), `resolv.conf seen by RUN: ${resolv}`);
      assertEquals(await read(r1, "hosts-write"), "readonly\n", "BuildKit mounts /etc/hosts read-only");

      // Nothing only mounted reaches the image: neither the unpacked tree nor any layer tar (no whiteouts either).
      for (const root of [r1, r2]) {
        for (const p of NEVER_COMMITTED) assert(!(await exists(join(root, p))), `/${p} must not be in the image`);
      }
      for (const ref of [ref1, ref2]) {
        const layers = await layerPaths(ref);
        assert(layers.flat().includes("a-owner"), "the layer lister sees what the RUNs wrote");
        for (const layer of layers.slice(1)) {
          for (const entry of layer) {
            const clean = entry.replace(/\/$/, "");
            const hit = NEVER_COMMITTED.find((p) =>
              clean === p || clean.startsWith(`${p}/`) || clean.endsWith(`.wh.${p.split("/").pop()}`)
            );
            assert(!hit, `layer entry ${entry} of ${ref} comes from a mount`);
          }
        }
      }
    } finally {
      for (const r of roots) await removeAll(join(r, ".."));
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

const SINGLE_FILE_DOCKERFILE = `FROM ${base} AS src
RUN mkdir -p /x && echo from-stage > /x/file

FROM ${base}
RUN --mount=type=bind,from=src,source=/x/file,target=/one-stage cat /one-stage > /one-stage-seen
RUN --mount=type=bind,from=${base},source=/etc/passwd,target=/pw cat /pw > /pw-seen
RUN --mount=type=tmpfs,target=/sz,size=1048576 df -k /sz | tail -1 | awk '{print $2}' > /tmpfs-kb
RUN --mount=type=bind,source=sub/subfile,target=/one cat /one > /one-seen
`;

for (const as of ["root", "user"] as const) {
  Deno.test(`run mounts: single-file binds (context, stage, image) and tmpfs size (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": SINGLE_FILE_DOCKERFILE, "sub/subfile": "ctx-file\n" });
    const store = await makeStore(as === "user" ? user : undefined);
    try {
      const out = `${store}/out`;
      const r = await runTsbuild(
        ["build", "--root", store, "--progress", "plain", "-o", `type=local,dest=${out}`, ctx],
        {
          as,
        },
      );
      assertEquals(r.code, 0, `build failed:\n${r.stderr}`);
      const read = (p: string) => Deno.readTextFile(join(out, p));
      assertEquals(await read("one-stage-seen"), "from-stage\n");
      assertEquals(await read("pw-seen"), await read("etc/passwd"), "a file of an image");
      assertEquals(await read("tmpfs-kb"), "1024\n");
      // As BuildKit: a source naming a file binds that file at the target, not a directory holding it.
      assertEquals(await read("one-seen"), "ctx-file\n");
      for (const p of ["one", "one-stage", "pw", "sz"]) assert(!(await exists(join(out, p))), `/${p} is a mount only`);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`run mounts: a cache first used with from=stage,source= starts with that dir's content (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base} AS seed\nRUN mkdir -p /x && echo seeded > /x/s\n\nFROM ${base}\n` +
        `RUN --mount=type=cache,id=seeded,from=seed,source=/x,target=/c cat /c/s > /seen\n`,
    });
    const store = await makeStore(as === "user" ? user : undefined);
    try {
      const r = await runTsbuild(
        ["build", "--root", store, "--progress", "plain", "-o", `type=local,dest=${store}/out`, ctx],
        { as },
      );
      assertEquals(r.code, 0, `build failed:\n${r.stderr}`);
      assertEquals(await Deno.readTextFile(`${store}/out/seen`), "seeded\n");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

/** A tar (GNU tar, not our code) holding /etc/resolv.conf and /etc/hosts as dangling symlinks, as systemd images do. */
async function danglingEtcTar(): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/etc`);
    await Deno.symlink("../run/systemd/resolve/stub-resolv.conf", `${dir}/etc/resolv.conf`);
    await Deno.symlink("/nonexistent/hosts", `${dir}/etc/hosts`);
    const o = await new Deno.Command("tar", { args: ["-C", dir, "-cf", "-", "etc"], stdout: "piped" }).output();
    return o.stdout;
  } finally {
    await removeAll(dir);
  }
}

for (const as of ["root", "user"] as const) {
  Deno.test(`run mounts: /etc/hosts and /etc/resolv.conf as dangling symlinks leave nothing behind (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile":
        `FROM ${base}\nADD links.tar /\nRUN grep nameserver /etc/resolv.conf > /ns && grep -c localhost /etc/hosts > /lh\n`,
      "links.tar": await danglingEtcTar(),
    });
    const store = await makeStore(as === "user" ? user : undefined);
    const ref = `${registry.host}/mounts-links/${as}:1`;
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx], { as });
      assertEquals(r.code, 0, `build failed:\n${r.stderr}`);
      const layers = await layerPaths(ref);
      // The RUN's layer holds what it wrote and nothing runc made to mount the files behind the links.
      assertEquals(layers[layers.length - 1].filter((p) => p !== "" && p !== "./").sort(), ["lh", "ns"]);
      const rootfs = await unpackWithUmoci(ref);
      try {
        assertEquals(await Deno.readLink(join(rootfs, "etc/resolv.conf")), "../run/systemd/resolve/stub-resolv.conf");
        assert(!(await exists(join(rootfs, "run"))) && !(await exists(join(rootfs, "nonexistent"))));
        assert((await Deno.readTextFile(join(rootfs, "ns"))).startsWith("nameserver"));
      } finally {
        await removeAll(join(rootfs, ".."));
      }
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "run mounts: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
