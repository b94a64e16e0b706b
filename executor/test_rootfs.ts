/**
 * Test helpers: a busybox rootfs built from the host's busybox-static, as the executor tests' base image, and a
 * RuncExecutor running scripts in it.
 */
import { RuncExecutor } from "./runc_executor.ts";
import type { RunMount, RunRequest } from "./types.ts";

const dec = new TextDecoder();

const made: string[] = [];
// Rootfses hold a 1-2 MB busybox each; remove them when the test module ends.
globalThis.addEventListener("unload", () => {
  for (const dir of made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // a mount still on it, or already gone: leave it
    }
  }
});

/** Makes `<tmp>/rootfs` with /bin/busybox and its applets, /etc/passwd and /etc/group; returns the tmp dir. */
export async function makeBusyboxRootfs(): Promise<{ dir: string; rootfs: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-exec-" });
  made.push(dir);
  const rootfs = `${dir}/rootfs`;
  await Deno.mkdir(`${rootfs}/bin`, { recursive: true });
  await Deno.mkdir(`${rootfs}/etc`);
  await Deno.mkdir(`${rootfs}/tmp`, { mode: 0o1777 });
  await Deno.chmod(`${rootfs}/tmp`, 0o1777);
  await Deno.copyFile("/bin/busybox", `${rootfs}/bin/busybox`);
  await Deno.chmod(`${rootfs}/bin/busybox`, 0o755);
  // What `busybox --install -s` does, but with relative links: its absolute targets name the host's real path
  // (/usr/bin/busybox on merged-/usr Debian), which does not exist inside the container.
  const out = await new Deno.Command("/bin/busybox", { args: ["--list"] }).output();
  if (!out.success) throw new Error(`busybox --list failed: ${new TextDecoder().decode(out.stderr)}`);
  for (const applet of new TextDecoder().decode(out.stdout).split("\n")) {
    if (applet && applet !== "busybox") await Deno.symlink("busybox", `${rootfs}/bin/${applet}`);
  }
  await Deno.writeTextFile(
    `${rootfs}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
  );
  await Deno.writeTextFile(`${rootfs}/etc/group`, "root:x:0:\napp:x:1000:\nwheel:x:10:app\n");
  return { dir, rootfs };
}

/** What a test RUN gave: its exit and its output, decoded. */
export interface Ran {
  exitCode: number;
  signal?: string;
  out: string;
  err: string;
}

/**
 * A RuncExecutor over a fresh busybox rootfs, and `run(script)` running a shell script in it as root (options
 * overridable) with its output collected.
 */
export async function busyboxExecutor() {
  const { dir, rootfs } = await makeBusyboxRootfs();
  const executor = new RuncExecutor({ stateDir: `${dir}/state` });
  const run = async (script: string, opts: Partial<RunRequest> = {}): Promise<Ran> => {
    let out = "", err = "";
    const r = await executor.run({
      rootfs,
      args: ["/bin/sh", "-c", script],
      env: [],
      cwd: "/",
      user: "root",
      network: "default",
      mounts: [] as RunMount[],
      stdout: (c) => out += dec.decode(c),
      stderr: (c) => err += dec.decode(c),
      ...opts,
    });
    return { ...r, out, err };
  };
  return { dir, rootfs, executor, run };
}

/** The containers runc lists under a busyboxExecutor dir. */
export async function runcList(dir: string): Promise<unknown[]> {
  const out = await new Deno.Command("runc", { args: ["--root", `${dir}/state/runc`, "list", "--format", "json"] })
    .output();
  return JSON.parse(dec.decode(out.stdout).trim() || "null") ?? [];
}
