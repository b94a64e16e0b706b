/**
 * Interrupting a build while a RUN is running (issue #5): SIGINT and SIGTERM to tsbuild, and SIGKILL to its whole
 * process group, as root and as the unprivileged user. Afterwards no container, no process of the build and no
 * mount of its store may be left anywhere on the host (every process' mount table is searched, so a leftover
 * namespace is found too), and the next build on the same store succeeds, reusing the cached steps.
 */
import { assert, assertEquals, assertMatch } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser, workDir } from "../util/user.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();
const dec = new TextDecoder();

/** A tsbuild started in its own process group (setsid), whose stderr is watched as it comes. */
interface Running {
  /** The tsbuild (Deno) process a user's ^C or kill would reach. */
  pid: number;
  /** The process group: setsid makes the spawned process its leader. */
  pgid: number;
  /** Resolves once `text` has appeared on stderr; rejects when the build ends first. */
  waitFor(text: string): Promise<void>;
  /** Exit code (128 + signal number for a signal death) and all stderr. */
  done: Promise<{ code: number; stderr: string }>;
}

async function startBuild(args: string[], as: "root" | "user"): Promise<Running> {
  const cmd = as === "root" ? ["setsid", `${REPO}/tsbuild`, ...args] : [
    "setsid",
    "runuser",
    "-u",
    user.name,
    "--",
    "env",
    "-i",
    `PATH=${PATH}`,
    `HOME=/tmp`,
    `USER=${user.name}`,
    `LANG=C.UTF-8`,
    `${user.projectDir}/tsbuild`,
    ...args,
  ];
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: await workDir(),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const waiters: { text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const pumped = (async () => {
    for await (const chunk of child.stderr) {
      stderr += dec.decode(chunk, { stream: true });
      for (const w of waiters.splice(0)) {
        if (stderr.includes(w.text)) w.resolve();
        else waiters.push(w);
      }
    }
  })();
  const done = (async () => {
    const status = await child.status;
    await pumped;
    for (const w of waiters.splice(0)) w.reject(new Error(`build ended before "${w.text}":\n${stderr}`));
    return { code: status.signal ? 128 + signalNumber(status.signal) : status.code, stderr };
  })();
  // The tsbuild process itself: setsid execs in place for root; runuser forks it (env execs into the wrapper,
  // which execs Deno), so for the user it is runuser's only child.
  const pid = as === "root" ? child.pid : await onlyChild(child.pid);
  return {
    pid,
    pgid: child.pid,
    waitFor: (text) =>
      stderr.includes(text)
        ? Promise.resolve()
        : new Promise((resolve, reject) => waiters.push({ text, resolve, reject })),
    done,
  };
}

function signalNumber(sig: Deno.Signal): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 0;
}

async function processes(): Promise<number[]> {
  const pids: number[] = [];
  for await (const e of Deno.readDir("/proc")) if (/^\d+$/.test(e.name)) pids.push(Number(e.name));
  return pids;
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

async function onlyChild(pid: number): Promise<number> {
  for (let i = 0; i < 500; i++) {
    for (const p of await processes()) if (await parentOf(p) === pid) return p;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`process ${pid} started no child`);
}

/**
 * What of the build is still alive anywhere: processes whose command line carries `marker`, and processes whose
 * mount table mentions the store (a container's processes, whose root is an overlay mount of the store, or
 * anything else keeping a mount namespace of the build alive).
 */
async function leftovers(store: string, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await processes()) {
    if (pid === Deno.pid) continue;
    try {
      const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
      if (cmdline.includes(marker)) found.push(`process ${pid} runs "${cmdline}"`);
      const mounts = await Deno.readTextFile(`/proc/${pid}/mountinfo`);
      if (mounts.includes(store)) found.push(`process ${pid} ("${cmdline}") still sees a mount of the store`);
    } catch {
      // the process exited while being looked at
    }
  }
  return found;
}

/** Containers runc still knows in the store (the executor keeps its runc state under `<store>/runc/runc`). */
async function runcContainers(store: string, as: "root" | "user"): Promise<string> {
  const root = `${store}/runc/runc`;
  const list = as === "root" ? ["runc", "--root", root, "list", "-q"] : [
    "runuser",
    "-u",
    user.name,
    "--",
    "unshare",
    "--user",
    "--map-root-user",
    "--map-auto",
    "runc",
    "--root",
    root,
    "list",
    "-q",
  ];
  const o = await new Deno.Command(list[0], { args: list.slice(1), stdout: "piped", stderr: "piped" }).output();
  // A store in which no RUN ever started has no runc state yet: nothing listed.
  if (!o.success && /no such file/i.test(dec.decode(o.stderr))) return "";
  assert(o.success, `runc list: ${dec.decode(o.stderr)}`);
  return dec.decode(o.stdout).trim();
}

async function eventually(what: () => Promise<string[]>): Promise<string[]> {
  // Processes the kernel is still reaping may linger for a moment after their parent has gone.
  let last: string[] = [];
  for (let i = 0; i < 100; i++) {
    last = await what();
    if (last.length === 0) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  return last;
}

/** `early`: the signal comes as soon as the RUN step is announced, likely before its container has started. */
const CASES: { sig: Deno.Signal; group: boolean; early?: boolean }[] = [
  { sig: "SIGINT", group: false },
  { sig: "SIGTERM", group: false },
  { sig: "SIGKILL", group: true },
  { sig: "SIGINT", group: false, early: true },
];

for (const as of ["root", "user"] as const) {
  for (const { sig, group, early } of CASES) {
    const when = early ? "as a RUN step begins" : "during a RUN";
    Deno.test(`interrupt: ${sig} ${group ? "to the process group" : "to tsbuild"} ${when} (${as})`, async () => {
      const marker = `tsbuild-interrupt-${crypto.randomUUID().slice(0, 8)}`;
      const dockerfile =
        `FROM ${base}\nRUN echo first > /first\nARG NAP=1000\nRUN echo started-${marker} && sleep $NAP && echo ${marker} > /nap\n`;
      const ctx = await makeContext({ "Dockerfile": dockerfile });
      const store = await makeStore(as === "user" ? user : undefined);
      try {
        const build = await startBuild(["build", "--root", store, "--progress", "plain", ctx], as);
        // The step header quotes the command; only the RUN's own output line ends right after the marker.
        await build.waitFor(early ? `RUN echo started-${marker}` : `started-${marker}\n`);
        if (group) Deno.kill(-build.pgid, sig);
        else Deno.kill(build.pid, sig);
        const end = await build.done;
        if (group) assertEquals(end.code, 137, end.stderr);
        else assertEquals(end.code, 130, `exit code after ${sig}:\n${end.stderr}`);

        assertEquals(await eventually(() => leftovers(store, marker)), [], "nothing of the build may remain");
        if (!group) assertEquals(await runcContainers(store, as), "", "no runc container may remain");

        // The store is consistent: the next build succeeds and reuses the step that finished before the kill.
        const next = await runTsbuild(
          [
            "build",
            "--root",
            store,
            "--progress",
            "plain",
            "--build-arg",
            "NAP=0",
            "-o",
            `type=local,dest=${store}/out`,
            ctx,
          ],
          { as },
        );
        assertEquals(next.code, 0, `next build failed:\n${next.stderr}`);
        assertMatch(next.stderr, /RUN echo first[^\n]*\n(#\d+ [^\n]*\n)*?#\d+ CACHED/);
        assertEquals(await Deno.readTextFile(`${store}/out/nap`), `${marker}\n`);
        assertEquals(await runcContainers(store, as), "", "no runc container after the next build");
        assertEquals(await leftovers(store, marker), []);
      } finally {
        await removeAll(ctx);
        await removeAll(store);
      }
    });
  }
}

Deno.test({
  name: "interrupt: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
