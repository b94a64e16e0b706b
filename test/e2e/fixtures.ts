import { join } from "node:path";
import { runTsbuild } from "../util/user.ts";

/** Writes a build context (path → content) into a fresh world-readable temp dir and returns its path. */
export async function makeContext(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-ctx-" });
  await Deno.chmod(dir, 0o755);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    await Deno.mkdir(join(p, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(p, content);
    else await Deno.writeFile(p, content);
  }
  await new Deno.Command("chmod", { args: ["-R", "a+rX", dir] }).output();
  return dir;
}

/** A store directory for one test, owned by whoever runs the build. */
export async function makeStore(owner?: { uid: number; gid: number }): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-store-" });
  if (owner) await Deno.chown(dir, owner.uid, owner.gid);
  return dir;
}

/** A small tar made with GNU tar (not our code), for ADD auto-extraction. */
export async function makeTar(files: Record<string, string>): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(join(dir, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, rel), content);
  }
  const out = await new Deno.Command("tar", { args: ["-C", dir, "-cf", "-", "."], stdout: "piped" }).output();
  await Deno.remove(dir, { recursive: true });
  return out.stdout;
}

/** Removes a dir that may hold files owned by mapped ids (created inside a user namespace). */
export async function removeAll(dir: string): Promise<void> {
  await new Deno.Command("rm", { args: ["-rf", dir] }).output();
}

/** Step lines that ran (had a DONE) vs were CACHED, keyed by the step name from `--progress plain`. */
export function steps(stderr: string): { ran: string[]; cached: string[] } {
  const names = new Map<string, string>();
  const ran: string[] = [], cached: string[] = [];
  for (const line of stderr.split("\n")) {
    let m = /^#(\d+) (\[.*)$/.exec(line);
    if (m) names.set(m[1], m[2].replace(/^\[[^\]]*\] /, ""));
    m = /^#(\d+) (CACHED|DONE)/.exec(line);
    if (m) (m[2] === "CACHED" ? cached : ran).push(names.get(m[1]) ?? m[1]);
  }
  return { ran, cached };
}

/**
 * Builds of `context` that each export to a fresh dir below `out` (`-o type=local`, plain progress); `read` reads a
 * file of that export, trimmed.
 */
export function localBuilds(store: string, out: string, as: "root" | "user") {
  let n = 0;
  return async (context: string, ...args: string[]) => {
    const dest = `${out}/${++n}`;
    const r = await runTsbuild(
      ["build", "--root", store, "--progress", "plain", "-o", `type=local,dest=${dest}`, ...args, context],
      { as },
    );
    return { ...r, dest, read: (f: string) => Deno.readTextFile(`${dest}/${f}`).then((t) => t.trim()) };
  };
}
