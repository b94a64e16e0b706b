/**
 * A Debian bookworm base image for tests that need real tools (git, ssh, apt), made without any tsbuild code:
 * `debootstrap --variant=minbase` from the mirror this machine's apt uses, turned into an OCI layout with `umoci`,
 * pushed with `skopeo`. debootstrap takes tens of seconds, so the layout is cached under /var/cache/tsbuild-test
 * (or $TMPDIR when that is not writable), keyed by suite and package list only, so it survives across days.
 *
 * @module
 */
import { FixtureError } from "./base_image.ts";

const SUITE = "bookworm";
const INCLUDE = ["git", "openssh-client", "ca-certificates"];

/** Pushes the Debian image to `registryHost` (plain HTTP) and returns its reference `HOST/repo:tag`. */
export async function pushDebianImage(registryHost: string, repo = "debian", tag = "bookworm"): Promise<string> {
  const dir = await debianLayout();
  const ref = `${registryHost}/${repo}:${tag}`;
  await run("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", `oci:${dir}:latest`, `docker://${ref}`]);
  return ref;
}

/** The cached OCI layout (tag `latest`) of the Debian image, debootstrapping it on first use. */
export async function debianLayout(): Promise<string> {
  const name = `debian-${SUITE}-minbase-${INCLUDE.slice().sort().join("+")}`;
  // A layout root made earlier is readable by everyone, so the unprivileged test user reuses it too.
  for (const d of CACHE_DIRS()) if (await exists(`${d}/${name}/index.json`)) return `${d}/${name}`;
  const cacheRoot = await cacheDir();
  const dir = `${cacheRoot}/${name}`;

  const work = await Deno.makeTempDir({ dir: cacheRoot, prefix: "build-" });
  try {
    const layout = `${work}/layout`;
    const bundle = `${work}/bundle`;
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", `${layout}:latest`]);
    await run("umoci", ["unpack", "--image", `${layout}:latest`, bundle]);
    await Deno.remove(`${bundle}/rootfs`, { recursive: true });
    await run("debootstrap", [
      "--variant=minbase",
      `--include=${INCLUDE.join(",")}`,
      SUITE,
      `${bundle}/rootfs`,
      await mirror(),
    ]);
    // Package lists and the .deb cache are only weight; apt inside a RUN fetches fresh lists anyway.
    await run("sh", [
      "-c",
      `rm -rf "${bundle}"/rootfs/var/cache/apt/archives/*.deb "${bundle}"/rootfs/var/lib/apt/lists/*`,
    ]);
    await run("umoci", [
      "repack",
      "--history.created_by",
      `tsbuild test fixture: debootstrap --variant=minbase --include=${INCLUDE.join(",")} ${SUITE}`,
      "--image",
      `${layout}:latest`,
      bundle,
    ]);
    await run("umoci", [
      "config",
      "--image",
      `${layout}:latest`,
      "--config.env",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "--config.cmd",
      "bash",
      "--config.workingdir",
      "/",
      "--os",
      "linux",
      "--architecture",
      goArch(),
      "--no-history",
    ]);
    await run("umoci", ["gc", "--layout", layout]);
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
  return dir;
}

/** The Debian mirror this machine's apt is configured with (deb822 `URIs:` or one-line `deb URL SUITE`). */
async function mirror(): Promise<string> {
  const files = ["/etc/apt/sources.list"];
  try {
    for await (const e of Deno.readDir("/etc/apt/sources.list.d")) files.push(`/etc/apt/sources.list.d/${e.name}`);
  } catch {
    // No sources.list.d: the main file alone.
  }
  for (const f of files) {
    const text = await Deno.readTextFile(f).catch(() => "");
    for (const m of text.matchAll(/^URIs:\s*(\S+)\s*$|^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/gm)) {
      const url = (m[1] ?? m[2]).replace(/\/$/, "");
      if (/\/debian$/.test(url)) return url;
    }
  }
  return "http://deb.debian.org/debian";
}

const CACHE_DIRS = () => ["/var/cache/tsbuild-test", `${Deno.env.get("TMPDIR") ?? "/tmp"}/tsbuild-fixtures`];

async function cacheDir(): Promise<string> {
  for (const d of CACHE_DIRS()) {
    try {
      await Deno.mkdir(d, { recursive: true });
      const probe = await Deno.makeTempFile({ dir: d });
      await Deno.remove(probe);
      return d;
    } catch {
      // Not writable for this user: try the next place.
    }
  }
  throw new FixtureError("no writable cache dir for the Debian base image (/var/cache/tsbuild-test or $TMPDIR)");
}

function goArch(): string {
  const m: Record<string, string> = { x86_64: "amd64", aarch64: "arm64" };
  return m[Deno.build.arch] ?? Deno.build.arch;
}

async function run(cmd: string, args: string[]): Promise<Deno.CommandOutput> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-15).join("\n");
    throw new FixtureError(`${cmd} ${args.join(" ")} exited ${out.code}: ${err}`);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
