/**
 * A busybox base image for tests, made without any tsbuild code so that a tsbuild bug cannot hide in its own
 * fixture: the rootfs is assembled by hand from busybox-static, turned into an OCI layout with `umoci`, and pushed
 * with `skopeo`. The layout is cached in the temp dir, keyed by the busybox binary's digest.
 *
 * @module
 */

import { exists, FixtureError, makeLayout, pushLayout, run } from "./umoci_layout.ts";

const BUSYBOX = "/bin/busybox";

/** An OCI image layout holding the busybox image under `tag`, usable as `oci:${dir}:${tag}` with skopeo/umoci. */
export interface OciLayout {
  dir: string;
  tag: string;
}

export { FixtureError };

/** Pushes the busybox image to `registryHost` (plain HTTP) and returns its reference `HOST/repo:tag`. */
export async function pushBusyboxImage(registryHost: string, repo = "busybox", tag = "latest"): Promise<string> {
  const layout = await busyboxLayout();
  const ref = `${registryHost}/${repo}:${tag}`;
  await pushLayout(layout.dir, layout.tag, ref);
  return ref;
}

/** busybox-static for arm64, put there by scripts/foreign_arch.sh (install.sh). */
export const BUSYBOX_ARM64 = "/usr/local/lib/tsbuild-test/busybox-arm64";

/**
 * The cached OCI layout of the busybox image, building it on first use: this machine's busybox, or with `arm64`
 * the arm64 busybox-static (its applets listed by the host's binary, the same Debian version).
 */
export async function busyboxLayout(arch?: "arm64"): Promise<OciLayout> {
  const binary = arch === "arm64" ? BUSYBOX_ARM64 : BUSYBOX;
  const key = (await sha256File(binary)).slice(0, 16);
  const cacheRoot = `${Deno.env.get("TMPDIR") ?? "/tmp"}/tsbuild-fixtures`;
  const dir = `${cacheRoot}/busybox-${arch ? `${arch}-` : ""}${key}`;
  const tag = "latest";
  if (await exists(`${dir}/index.json`)) return { dir, tag };

  await Deno.mkdir(cacheRoot, { recursive: true, mode: 0o1777 });
  // Shared by root and the unprivileged test user, like /tmp itself (mkdir's mode is filtered by the umask).
  await Deno.chmod(cacheRoot, 0o1777).catch(() => {});
  await makeLayout(cacheRoot, dir, {
    tag,
    createdBy: "tsbuild test fixture: busybox-static rootfs",
    cmd: "sh",
    fill: (rootfs) => makeRootfs(rootfs, binary),
    architecture: arch,
  });
  return { dir, tag };
}

/** /bin/busybox with every applet as a symlink, root and nobody in passwd/group, and a sticky /tmp. */
async function makeRootfs(rootfs: string, binary: string): Promise<void> {
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "var", "dev", "proc", "sys", "home"]) {
    await Deno.mkdir(`${rootfs}/${d}`, { recursive: true });
  }
  await Deno.chmod(`${rootfs}/root`, 0o700);
  await Deno.copyFile(binary, `${rootfs}/bin/busybox`);
  await Deno.chmod(`${rootfs}/bin/busybox`, 0o755);
  const list = new TextDecoder().decode((await run(BUSYBOX, ["--list-full"])).stdout);
  for (const applet of list.split("\n").map((l) => l.trim()).filter((l) => l && l !== "bin/busybox")) {
    const path = `${rootfs}/${applet}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.symlink("/bin/busybox", path).catch((e) => {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    });
  }
  await Deno.writeTextFile(
    `${rootfs}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  await Deno.writeTextFile(`${rootfs}/etc/group`, "root:x:0:\nnogroup:x:65534:\nnobody:x:65534:\n");
  await Deno.mkdir(`${rootfs}/tmp`);
  // chmod after mkdir: the umask would drop the sticky and world-write bits.
  await Deno.chmod(`${rootfs}/tmp`, 0o1777);
}

// busybox-static is ~2 MB, so hashing it in memory is fine (and avoids `node:crypto`, whose types need @types/node).
async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
