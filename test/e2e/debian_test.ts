/**
 * The case single-id rootless builders fail (issue #5): on a Debian base made locally with debootstrap, a RUN
 * installs a package with apt (which drops to the `_apt` user to download) and creates a user with its own uid,
 * then a RUN as that user writes into its home. Run as root and as the unprivileged user; the image is read back
 * with umoci and run with runc.
 */
import { assert, assertEquals, assertMatch } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushDebianImage } from "../util/debian_base.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { runImage, skopeoInspectConfig, unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const debian = await pushDebianImage(registry.host);
const user = await testUser();

// BuildKit's documented apt pattern: package lists and downloads live in cache mounts (locked: apt takes its own
// locks there), so they persist across builds and never reach a layer.
const DOCKERFILE = `FROM ${debian}
RUN rm -f /etc/apt/apt.conf.d/docker-clean \\
 && echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\
    apt-get update && apt-get install -y --no-install-recommends tree \\
 && useradd -m -u 1500 app && chown -R app /home/app
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    ls /var/cache/apt/archives > /debs && stat -c '%U %a' /var/cache/apt/archives/partial > /partial
USER app
RUN whoami > /home/app/me && id -u >> /home/app/me
`;

for (const as of ["root", "user"] as const) {
  Deno.test(`debian: apt-get install and useradd in RUN, then a RUN as that user (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE });
    const store = await makeStore(as === "user" ? user : undefined);
    const ref = `${registry.host}/debian-app/${as}:1`;
    let rootfs: string | undefined;
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx], { as });
      assertEquals(r.code, 0, `build failed:\n${r.stderr.slice(-6000)}`);
      if (as === "user") assert(!/no \/etc\/subuid range/i.test(r.stderr), "the test user has a subuid range");

      rootfs = await unpackWithUmoci(ref);
      // The package: its binary and dpkg's record of it.
      const tree = await Deno.lstat(join(rootfs, "usr/bin/tree"));
      assert(tree.isFile && (tree.mode! & 0o111) !== 0, "tree is installed and executable");
      const status = await Deno.readTextFile(join(rootfs, "var/lib/dpkg/status"));
      assertMatch(status, /^Package: tree\nStatus: install ok installed$/m);
      // The user, its group and its home, owned by uid 1500 as the layer says.
      assertMatch(await Deno.readTextFile(join(rootfs, "etc/passwd")), /^app:x:1500:1500::\/home\/app:/m);
      assertMatch(await Deno.readTextFile(join(rootfs, "etc/group")), /^app:x:1500:$/m);
      assertMatch(await Deno.readTextFile(join(rootfs, "etc/shadow")), /^app:/m);
      for (const p of ["home/app", "home/app/.bashrc", "home/app/me"]) {
        const st = await Deno.lstat(join(rootfs, p));
        assertEquals([st.uid, st.gid], [1500, 1500], `owner of /${p}`);
      }
      assertEquals(await Deno.readTextFile(join(rootfs, "home/app/me")), "app\n1500\n");
      // The downloads stayed in the cache mount, where apt's own dir keeps its non-root owner (_apt), which a
      // single-id mapping cannot represent; none of it, nor the package lists, reached a layer.
      assertMatch(await Deno.readTextFile(join(rootfs, "debs")), /^tree_.*\.deb$/m);
      assertEquals(await Deno.readTextFile(join(rootfs, "partial")), "_apt 700\n");
      const cached = [
        ...await Array.fromAsync(Deno.readDir(join(rootfs, "var/cache/apt/archives"))),
        ...await Array.fromAsync(Deno.readDir(join(rootfs, "var/lib/apt/lists"))),
      ].map((e) => e.name);
      assert(!cached.some((n) => n.endsWith(".deb") || n.includes("_Packages")), `in the image: ${cached}`);
      assertEquals((await skopeoInspectConfig(ref)).config.User, "app");

      // The image runs elsewhere as that user, with the package.
      assertMatch(await runImage(ref, ["tree", "--version"]), /^tree v\d/);
      assertEquals(await runImage(ref, ["id", "-un"]), "app\n");
    } finally {
      if (rootfs) await removeAll(join(rootfs, ".."));
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "debian: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
