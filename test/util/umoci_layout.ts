/**
 * Base image layouts for tests, made with umoci (never tsbuild code): one rootfs, one layer, a config like the
 * official images' (PATH, CMD), written aside and renamed into place so concurrent test files never see half a
 * layout.
 *
 * @module
 */

export class FixtureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FixtureError";
  }
}

/** What goes into the layout's one image (tag `tag`). */
export interface LayoutSpec {
  tag: string;
  /** The history entry's created_by. */
  createdBy: string;
  /** The config's CMD. */
  cmd: string;
  /** Fills the (empty) rootfs dir. */
  fill(rootfs: string): Promise<void>;
  /** The config's architecture (GOARCH; default this machine's). */
  architecture?: string;
}

/** Builds the layout in a temp dir under `cacheRoot` and renames it to `dir` (a concurrent winner is kept). */
export async function makeLayout(cacheRoot: string, dir: string, spec: LayoutSpec): Promise<void> {
  const work = await Deno.makeTempDir({ dir: cacheRoot, prefix: "build-" });
  try {
    const layout = `${work}/layout`;
    const bundle = `${work}/bundle`;
    const image = `${layout}:${spec.tag}`;
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", image]);
    await run("umoci", ["unpack", "--image", image, bundle]);
    await spec.fill(`${bundle}/rootfs`);
    await run("umoci", ["repack", "--history.created_by", spec.createdBy, "--image", image, bundle]);
    await run("umoci", [
      "config",
      "--image",
      image,
      "--config.env",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--config.cmd",
      spec.cmd,
      "--config.workingdir",
      "/",
      "--os",
      "linux",
      "--architecture",
      spec.architecture ?? goArch(),
      "--no-history",
    ]);
    await run("umoci", ["gc", "--layout", layout]);
    // Readable by everyone: the unprivileged test user reuses what root made.
    await run("chmod", ["-R", "a+rX", layout]);
    try {
      await Deno.rename(layout, dir);
    } catch (e) {
      // Another process finished first: its layout is equally good.
      if (!(await exists(`${dir}/index.json`))) throw e;
    }
  } finally {
    await run("rm", ["-rf", work]).catch(() => {});
  }
}

/** Pushes `oci:<dir>:<tag>` to `ref` on a plain-HTTP registry with skopeo. */
export async function pushLayout(dir: string, tag: string, ref: string): Promise<void> {
  await run("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${dir}:${tag}`, `docker://${ref}`]);
}

function goArch(): string {
  const m: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };
  return m[Deno.build.arch] ?? Deno.build.arch;
}

/** Runs a fixture tool, throwing with its stderr when it fails. */
export async function run(cmd: string, args: string[]): Promise<Deno.CommandOutput> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  if (!out.success) {
    throw new FixtureError(
      `${cmd} ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n")}`,
    );
  }
  return out;
}

export async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
