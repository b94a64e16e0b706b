import { MountError } from "./errors.ts";

/** A mount as containerd describes it: what `mount -t <type> <source> -o <options>` would do. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/** Runs a helper program, returning its stdout, or throws `MountError` with its stderr. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; stdin?: Uint8Array; ignoreStatus?: boolean } = {},
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    stdin: opts.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin) {
    const w = child.stdin.getWriter();
    await w.write(opts.stdin);
    await w.close();
  }
  const out = await child.output();
  if (!out.success && !opts.ignoreStatus) throw new MountError([cmd, ...args], new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

/**
 * True inside a non-initial user namespace, where overlay needs `userxattr` (its xattrs live in `user.overlay.*`
 * because `trusted.*` needs real CAP_SYS_ADMIN).
 */
export function inUserNamespace(): boolean {
  try {
    const map = Deno.readTextFileSync("/proc/self/uid_map").trim().split(/\s+/).join(" ");
    return map !== "0 0 4294967295";
  } catch {
    return false;
  }
}

/**
 * Mounts `m` at `target`. Overlay paths under `baseDir` are passed relative to it (the helper runs with that cwd) so
 * a deep chain of lowers stays under the page-size limit of mount options.
 */
export async function mountAt(m: Mount, target: string, baseDir: string): Promise<void> {
  const rel = (o: string) => o.split(`${baseDir}/`).join("");
  const options = m.options.map(rel);
  if (m.type === "bind") {
    await run("mount", ["--bind", ...(options.includes("ro") ? ["-o", "bind,ro"] : []), m.source, target], {
      cwd: baseDir,
    });
  } else if (m.type === "overlay") {
    await run("mount", ["-t", "overlay", m.source, "-o", options.join(","), target], { cwd: baseDir });
  } else if (m.type === "fuse3.fuse-overlayfs") {
    await run("fuse-overlayfs", ["-o", options.join(","), target], { cwd: baseDir });
  } else {
    throw new MountError(["mount", "-t", m.type], `unsupported mount type ${m.type}`);
  }
}

/** Unmounts `target`, falling back to a lazy unmount when something still holds it (a slow-exiting container). */
export async function unmount(target: string): Promise<void> {
  try {
    await run("umount", [target]);
  } catch (e) {
    if (!(await isMountPoint(target))) return;
    await run("umount", ["-l", target]).catch(() => {
      throw e;
    });
  }
}

/** True when `path` is a mount point in this mount namespace (read from mountinfo, no helper spawned). */
export async function isMountPoint(path: string): Promise<boolean> {
  const info = await Deno.readTextFile("/proc/self/mountinfo");
  const escaped = path.replace(/[ \t\n\\]/g, (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"));
  return info.split("\n").some((line) => line.split(" ")[4] === escaped);
}
