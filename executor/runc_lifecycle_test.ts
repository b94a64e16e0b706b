/**
 * The runc executor's lifecycle: an abort (before, during or after preparation) kills and removes the container,
 * concurrent runs get their own, and a tsbuild interrupted (SIGTERM, SIGINT) or killed (SIGKILL, then
 * cleanupStale) leaves no container, process or mount stub behind.
 */
import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { RunAbortedError } from "./errors.ts";
import { busyboxExecutor, makeBusyboxRootfs, runcList } from "./test_rootfs.ts";

const dec = new TextDecoder();

Deno.test("abort kills the container, removes it and rejects with RunAbortedError", async () => {
  const { executor, rootfs, dir } = await busyboxExecutor();
  const ac = new AbortController();
  const running = executor.run({
    rootfs,
    args: ["/bin/sh", "-c", "echo started; exec sleep 13579"],
    env: [],
    cwd: "/",
    user: "root",
    network: "default",
    mounts: [{ type: "tmpfs", target: "/t" }],
    stdout: () => ac.abort(),
    stderr() {},
    signal: ac.signal,
  });
  await assertRejects(() => running, RunAbortedError);
  assertEquals(await runcList(dir), []);
  await assertRejects(() => Deno.lstat(`${rootfs}/t`), Deno.errors.NotFound);
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
  assert(!dec.decode(ps.stdout).includes("sleep 13579"), "the container's process survived");
});

Deno.test("an already-aborted signal runs nothing", async () => {
  const { executor, rootfs } = await busyboxExecutor();
  const ac = new AbortController();
  ac.abort();
  await assertRejects(
    () =>
      executor.run({
        rootfs,
        args: ["/bin/sh", "-c", "touch /ran"],
        env: [],
        cwd: "/",
        user: "root",
        network: "default",
        mounts: [],
        stdout() {},
        stderr() {},
        signal: ac.signal,
      }),
    RunAbortedError,
  );
  await assertRejects(() => Deno.lstat(`${rootfs}/ran`), Deno.errors.NotFound);
});

Deno.test("an abort while the run is being prepared still kills the container", async () => {
  const { executor, rootfs, dir } = await busyboxExecutor();
  const ac = new AbortController();
  const running = executor.run({
    rootfs,
    // Left alone, the command ends normally after a few seconds, leaving /ran: it must be killed well before.
    args: ["/bin/sh", "-c", "sleep 5 && touch /ran"],
    env: [],
    cwd: "/",
    user: "root",
    network: "default",
    mounts: [],
    stdout() {},
    stderr() {},
    signal: ac.signal,
  });
  // run() has checked the signal and is now writing the bundle: no abort listener exists yet.
  ac.abort();
  await assertRejects(() => running, RunAbortedError);
  assertEquals(await runcList(dir), []);
  await assertRejects(() => Deno.lstat(`${rootfs}/ran`), Deno.errors.NotFound);
});

Deno.test("concurrent runs get their own containers", async () => {
  const { dir, executor } = await busyboxExecutor();
  const rootfses = await Promise.all([1, 2, 3].map(() => makeBusyboxRootfs()));
  const rs = await Promise.all(rootfses.map(async ({ rootfs }, i) => {
    let out = "";
    const r = await executor.run({
      rootfs,
      args: ["/bin/sh", "-c", `echo ${i}; exit ${i}`],
      env: [],
      cwd: "/",
      user: "root",
      network: "default",
      mounts: [],
      stdout: (c) => out += dec.decode(c),
      stderr() {},
    });
    return [out, r.exitCode];
  }));
  assertEquals(rs, [["0\n", 0], ["1\n", 1], ["2\n", 2]]);
  assertEquals(await runcList(dir), []);
});

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`${sig} to tsbuild leaves no container, process or mount stub behind`, async () => {
    const { dir, rootfs } = await busyboxExecutor();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./testdata/interrupted_run.ts", import.meta.url).pathname, `${dir}/state`, rootfs],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    assertEquals(dec.decode(first.value), "started\n");
    child.kill(sig);
    let out = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) out += dec.decode(r.value);
    const [status, err] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert(!status.success && err.includes("RunAbortedError") && !out.includes("survived"), err);
    assertEquals(await runcList(dir), []);
    await assertRejects(() => Deno.lstat(`${rootfs}/scratch`), Deno.errors.NotFound);
    await assertRejects(() => Deno.lstat(`${rootfs}/proc`), Deno.errors.NotFound);
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
    assert(!dec.decode(ps.stdout).includes("sleep 13579"), "the container's process survived");
  });
}

Deno.test("cleanupStale removes what a SIGKILLed tsbuild left: container, bundle and mount stubs", async () => {
  const { dir, rootfs, executor } = await busyboxExecutor();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./testdata/interrupted_run.ts", import.meta.url).pathname, `${dir}/state`, rootfs],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  assertEquals(dec.decode((await reader.read()).value), "started\n");
  // A live run is not stale: cleanup must leave it alone.
  assertEquals(await executor.cleanupStale(), []);
  assertEquals((await runcList(dir)).length, 1);
  child.kill("SIGKILL");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel();
  const left = await runcList(dir) as { id: string }[];
  assertEquals(left.length, 1);
  assertEquals(await executor.cleanupStale(), [left[0].id]);
  assertEquals(await runcList(dir), []);
  assertEquals(await Array.fromAsync(Deno.readDir(`${dir}/state/bundles`)), []);
  await assertRejects(() => Deno.lstat(`${rootfs}/scratch`), Deno.errors.NotFound);
  await assertRejects(() => Deno.lstat(`${rootfs}/proc`), Deno.errors.NotFound);
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"] }).output();
  assert(!dec.decode(ps.stdout).includes("sleep 13579"), "the container's process survived");
});
