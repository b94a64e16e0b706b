/** Facts about the current process' namespace that decide what a runtime spec may ask for. */
import type { SpecHost } from "./spec.ts";

/** BuildKit's RLIMIT_NOFILE for RUN. */
const WANTED_NOFILE = 1048576;

/** Whether this process is in the initial user namespace (real root can raise limits and map any id). */
export async function inInitialUserNamespace(): Promise<boolean> {
  const map = (await Deno.readTextFile("/proc/self/uid_map")).trim().split(/\s+/);
  return map.length === 3 && map[0] === "0" && map[1] === "0" && map[2] === "4294967295";
}

async function hardNofile(): Promise<number> {
  const limits = await Deno.readTextFile("/proc/self/limits");
  const m = limits.match(/^Max open files\s+(\S+)\s+(\S+)/m);
  if (!m || m[2] === "unlimited") return WANTED_NOFILE;
  return Number(m[2]);
}

async function gidMapped(gid: number): Promise<boolean> {
  const lines = (await Deno.readTextFile("/proc/self/gid_map")).trim().split("\n");
  return lines.some((l) => {
    const [inside, , size] = l.trim().split(/\s+/).map(Number);
    return gid >= inside && gid < inside + size;
  });
}

/** Raising a hard rlimit needs CAP_SYS_RESOURCE in the initial user namespace (containers often drop it). */
async function canRaiseLimits(): Promise<boolean> {
  if (!(await inInitialUserNamespace())) return false;
  const m = (await Deno.readTextFile("/proc/self/status")).match(/^CapEff:\s*([0-9a-f]+)/m);
  const CAP_SYS_RESOURCE = 24n;
  return m !== null && ((BigInt("0x" + m[1]) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

/** Whether an mqueue fs mounts in a fresh ipc namespace here (some hosts' policies forbid it; runc would fail). */
async function mqueueMountable(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-mqueue-" });
  try {
    const out = await new Deno.Command("unshare", {
      args: ["--ipc", "--mount", "--propagation", "private", "mount", "-t", "mqueue", "mqueue", dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

/** This process' capability bounding set: no container it starts can have a capability outside it. */
async function boundingSet(): Promise<bigint> {
  const m = (await Deno.readTextFile("/proc/self/status")).match(/^CapBnd:\s*([0-9a-f]+)/m);
  return m ? BigInt("0x" + m[1]) : 0n;
}

/** Reads the facts once per executor. */
export async function detectSpecHost(): Promise<SpecHost> {
  const nofile = (await canRaiseLimits()) ? WANTED_NOFILE : Math.min(WANTED_NOFILE, await hardNofile());
  return { nofile, ttyGidMapped: await gidMapped(5), mqueue: await mqueueMountable(), bounding: await boundingSet() };
}
