/**
 * A Debian bookworm base image for tests that need real tools (git, ssh, apt), made without any tsbuild code:
 * `debootstrap --variant=minbase` from the mirror this machine's apt uses, turned into an OCI layout with `umoci`,
 * pushed with `skopeo`. debootstrap takes tens of seconds, so the layout is cached under /var/cache/tsbuild-test
 * (or $TMPDIR when that is not writable), keyed by suite and package list only, so it survives across days.
 *
 * @module
 */
import { exists, FixtureError, makeLayout, pushLayout, run } from "./umoci_layout.ts";

const SUITE = "bookworm";
const INCLUDE = ["git", "openssh-client", "ca-certificates"];

/** Pushes the Debian image to `registryHost` (plain HTTP) and returns its reference `HOST/repo:tag`. */
export async function pushDebianImage(registryHost: string, repo = "debian", tag = "bookworm"): Promise<string> {
  const dir = await debianLayout();
  const ref = `${registryHost}/${repo}:${tag}`;
  await pushLayout(dir, "latest", ref);
  return ref;
}

/** The cached OCI layout (tag `latest`) of the Debian image, debootstrapping it on first use. */
export async function debianLayout(): Promise<string> {
  const name = `debian-${SUITE}-minbase-${INCLUDE.slice().sort().join("+")}`;
  // A layout root made earlier is readable by everyone, so the unprivileged test user reuses it too.
  for (const d of CACHE_DIRS()) if (await exists(`${d}/${name}/index.json`)) return `${d}/${name}`;
  const cacheRoot = await cacheDir();
  const dir = `${cacheRoot}/${name}`;

  await makeLayout(cacheRoot, dir, {
    tag: "latest",
    createdBy: `tsbuild test fixture: debootstrap --variant=minbase --include=${INCLUDE.join(",")} ${SUITE}`,
    cmd: "bash",
    fill: async (rootfs) => {
      await Deno.remove(rootfs, { recursive: true });
      await run("debootstrap", [
        "--variant=minbase",
        `--include=${INCLUDE.join(",")}`,
        SUITE,
        rootfs,
        await mirror(),
      ]);
      // Package lists and the .deb cache are only weight; apt inside a RUN fetches fresh lists anyway.
      await run("sh", [
        "-c",
        `rm -rf "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/lib/apt/lists/*`,
      ]);
    },
  });
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
