/**
 * Who owns a bundle, so a later tsbuild can clean up after one that was SIGKILLed mid-RUN: its container, and the
 * mount stubs it left in a rootfs. A pid alone could have been reused, so the process start time is kept with it.
 */
import type { MountStubs } from "./mount_stubs.ts";
import { hostPid } from "../runtime/mod.ts";

/** `<bundle>/owner.json`. */
export interface RunOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  start: string;
  rootfs: string;
  stubs: { paths: string[]; parentTimes: [string, { atime: string; mtime: string }][] };
}

async function startTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A killed tsbuild stays a zombie until its new parent reaps it: dead all the same.
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Records this process as the owner of `bundle`, with the stubs it is about to create in `rootfs`. */
export async function writeOwner(bundle: string, rootfs: string, stubs: MountStubs): Promise<void> {
  const owner: RunOwner = {
    pid: hostPid(),
    start: (await startTime(hostPid())) ?? "",
    rootfs,
    stubs: {
      paths: stubs.paths,
      parentTimes: [...stubs.parentTimes].map(([p, t]) => [p, {
        atime: t.atime.toISOString(),
        mtime: t.mtime.toISOString(),
      }]),
    },
  };
  await Deno.writeTextFile(`${bundle}/owner.json.tmp`, JSON.stringify(owner));
  await Deno.rename(`${bundle}/owner.json.tmp`, `${bundle}/owner.json`);
}

/** The owner of `bundle` if that process is gone (the bundle is stale), else undefined. */
export async function staleOwner(bundle: string): Promise<RunOwner | undefined> {
  let owner: RunOwner;
  try {
    owner = JSON.parse(await Deno.readTextFile(`${bundle}/owner.json`));
  } catch {
    return undefined; // being set up right now, or not ours
  }
  return (await startTime(owner.pid)) === owner.start ? undefined : owner;
}

/** The stubs of a stale owner, back in the shape `removeStubs` takes. */
export function ownerStubs(owner: RunOwner): MountStubs {
  return {
    paths: owner.stubs.paths,
    parentTimes: new Map(
      owner.stubs.parentTimes.map(([p, t]) => [p, { atime: new Date(t.atime), mtime: new Date(t.mtime) }]),
    ),
  };
}
