import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { RuncError } from "./errors.ts";
import { RuncExecutor } from "./runc_executor.ts";
import { busyboxExecutor, makeBusyboxRootfs } from "./test_rootfs.ts";
import type { RunMount } from "./types.ts";
import { inInitialUserNamespace } from "./host_facts.ts";

const dec = new TextDecoder();

Deno.test("stdout and stderr stream separately and the exit code comes back", async () => {
  const { run } = await busyboxExecutor();
  const r = await run("echo to-out; echo to-err >&2; exit 42");
  assertEquals([r.out, r.err, r.exitCode], ["to-out\n", "to-err\n", 42]);
  assertEquals((await run("true")).exitCode, 0);
});

Deno.test("env gets a default PATH only when missing, and the given variables", async () => {
  const { run } = await busyboxExecutor();
  const r = await run('echo "$PATH|$FOO"', { env: ["FOO=bar baz"] });
  assertEquals(r.out, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|bar baz\n");
  const own = await run('echo "$PATH"', { env: ["PATH=/bin"] });
  assertEquals(own.out, "/bin\n");
});

Deno.test("a missing cwd is created owned by the user and stays", async () => {
  const { run, rootfs } = await busyboxExecutor();
  const r = await run("pwd; id -u; id -g; id -G; touch mine", { cwd: "/home/app/work", user: "app" });
  assertEquals(r.out, "/home/app/work\n1000\n1000\n1000 10\n");
  const st = await Deno.stat(`${rootfs}/home/app/work/mine`);
  assertEquals([st.uid, st.gid], [1000, 1000]);
  assertEquals((await Deno.stat(`${rootfs}/home/app/work`)).uid, 1000);
});

Deno.test("numeric users need no passwd entry, and root may chown to any ids", async () => {
  const { run, rootfs } = await busyboxExecutor();
  assertEquals((await run("id -u; id -g", { user: "4321:8765" })).out, "4321\n8765\n");
  const r = await run("touch /f && chown 1234:5678 /f && stat -c %u:%g /f");
  assertEquals([r.exitCode, r.out], [0, "1234:5678\n"]);
  const st = await Deno.stat(`${rootfs}/f`);
  assertEquals([st.uid, st.gid], [1234, 5678]);
});

Deno.test("an unknown user fails before anything runs", async () => {
  const { executor, rootfs } = await busyboxExecutor();
  await assertRejects(
    () =>
      executor.run({
        rootfs,
        args: ["true"],
        env: [],
        cwd: "/",
        user: "ghost",
        network: "default",
        mounts: [],
        stdout() {},
        stderr() {},
      }),
    Error,
    "ghost",
  );
});

Deno.test("a command that cannot start is a RuncError, not an exit code", async () => {
  const { executor, rootfs } = await busyboxExecutor();
  await assertRejects(
    () =>
      executor.run({
        rootfs,
        args: ["/no/such/binary"],
        env: [],
        cwd: "/",
        user: "root",
        network: "default",
        mounts: [],
        stdout() {},
        stderr() {},
      }),
    RuncError,
    "/no/such/binary",
  );
});

function interfaces(procNetDev: string): string[] {
  return procNetDev.split("\n").slice(2).map((l) => l.split(":")[0].trim()).filter((n) => n !== "").sort();
}

Deno.test("network none has only loopback; default and host share the host's interfaces", async () => {
  const { run } = await busyboxExecutor();
  const hostIfs = interfaces(await Deno.readTextFile("/proc/net/dev"));
  assertEquals(interfaces((await run("cat /proc/net/dev", { network: "none" })).out), ["lo"]);
  assertEquals(interfaces((await run("cat /proc/net/dev", { network: "host" })).out), hostIfs);
  assertEquals(interfaces((await run("cat /proc/net/dev", { network: "default" })).out), hostIfs);
});

Deno.test("/etc/hosts names the hostname and resolv.conf is the host's", async () => {
  const { run } = await busyboxExecutor();
  const r = await run("cat /etc/hosts; hostname; cat /etc/resolv.conf", { hostname: "builder1" });
  assert(r.out.includes("127.0.0.1\tlocalhost builder1\n"), r.out);
  assert(r.out.includes("\nbuilder1\n"), r.out);
  const hostResolv = await Deno.readTextFile("/etc/resolv.conf").catch(() => "nameserver 8.8.8.8\n");
  assert(r.out.endsWith(hostResolv), r.out);
});

Deno.test("bind mounts are writable or read-only as asked", async () => {
  const { run, dir } = await busyboxExecutor();
  const src = `${dir}/src`;
  await Deno.mkdir(src);
  await Deno.writeTextFile(`${src}/in`, "from host");
  const rw = await run("cat /mnt/rw/in; echo back > /mnt/rw/out", {
    mounts: [{ type: "bind", source: src, target: "/mnt/rw", readonly: false }],
  });
  assertEquals([rw.exitCode, rw.out], [0, "from host"]);
  assertEquals(await Deno.readTextFile(`${src}/out`), "back\n");
  const ro = await run("cat /mnt/ro/in; echo no > /mnt/ro/out2", {
    mounts: [{ type: "bind", source: src, target: "/mnt/ro", readonly: true }],
  });
  assert(ro.exitCode !== 0 && ro.out === "from host" && /read-only/i.test(ro.err), JSON.stringify(ro));
  await assertRejects(() => Deno.stat(`${src}/out2`), Deno.errors.NotFound);
});

Deno.test("tmpfs mounts are tmpfs and leave nothing in the rootfs", async () => {
  const { run, rootfs } = await busyboxExecutor();
  const r = await run("echo x > /scratch/f && grep ' /scratch ' /proc/mounts", {
    mounts: [{ type: "tmpfs", target: "/scratch", size: 1 << 20 }],
  });
  assertEquals(r.exitCode, 0);
  assert(r.out.startsWith("tmpfs /scratch tmpfs") && r.out.includes("size=1024k"), r.out);
  await assertRejects(() => Deno.lstat(`${rootfs}/scratch`), Deno.errors.NotFound);
});

Deno.test("file mounts carry data, mode and owner, and never land in the rootfs", async () => {
  const { run, rootfs, dir } = await busyboxExecutor();
  const secret: RunMount = {
    type: "file",
    target: "/run/secrets/token",
    data: new TextEncoder().encode("s3cr3t"),
    mode: 0o440,
    uid: 1000,
    gid: 10,
  };
  const r = await run(
    "cat /run/secrets/token; echo; stat -c '%a %u %g' /run/secrets/token; grep -c '^tsbuild-secrets /run/secrets/token tmpfs ' /proc/mounts",
    {
      mounts: [secret],
      user: "app",
    },
  );
  // The 1 says the secret came from a tmpfs: it was never written to disk.
  assertEquals([r.exitCode, r.out], [0, "s3cr3t\n440 1000 10\n1\n"]);
  await assertRejects(() => Deno.lstat(`${rootfs}/run`), Deno.errors.NotFound);
  // The bundle (which held the secret's file) is gone too.
  const left = [];
  for await (const e of Deno.readDir(`${dir}/state/bundles`)) left.push(e.name);
  assertEquals(left, []);
});

Deno.test("mount points runc created are removed; what existed or what the RUN wrote stays", async () => {
  const { run, rootfs } = await busyboxExecutor();
  const etcBefore = await Deno.stat(`${rootfs}/etc`);
  const r = await run("mkdir -p /mnt/data/kept && ls -d /proc/1 /dev/null /sys/kernel /etc/hosts", {
    mounts: [{ type: "tmpfs", target: "/mnt/data/t" }, { type: "tmpfs", target: "/opt/a/b" }],
  });
  assertEquals(r.exitCode, 0);
  const names = [];
  for await (const e of Deno.readDir(rootfs)) names.push(e.name);
  assertEquals(names.sort(), ["bin", "etc", "mnt", "tmp"]);
  const etc = [];
  for await (const e of Deno.readDir(`${rootfs}/etc`)) etc.push(e.name);
  assertEquals(etc.sort(), ["group", "passwd"]);
  // Removing stubs restores their parent's mtime, so the layer diff sees /etc unchanged.
  assertEquals((await Deno.stat(`${rootfs}/etc`)).mtime, etcBefore.mtime);
  const mnt = [];
  for await (const e of Deno.readDir(`${rootfs}/mnt/data`)) mnt.push(e.name);
  assertEquals(mnt, ["kept"]);
});

Deno.test("mount points behind dangling symlinks (/etc/resolv.conf -> ../run/...) leave no dirs behind", async () => {
  const { run, rootfs } = await busyboxExecutor();
  // As in systemd-based images: the link targets do not exist, so runc creates them (and their parents).
  await Deno.symlink("../run/systemd/resolve/stub-resolv.conf", `${rootfs}/etc/resolv.conf`);
  await Deno.symlink("/nonexistent/hosts", `${rootfs}/etc/hosts`);
  await Deno.symlink("/srv/data", `${rootfs}/data`);
  const r = await run("grep -q localhost /etc/hosts && grep -q nameserver /etc/resolv.conf && ls /data/x", {
    mounts: [{ type: "tmpfs", target: "/data/x" }],
  });
  assertEquals(r.exitCode, 0, r.err);
  const names = [];
  for await (const e of Deno.readDir(rootfs)) names.push(e.name);
  assertEquals(names.sort(), ["bin", "data", "etc", "tmp"]);
  assertEquals(await Deno.readLink(`${rootfs}/etc/resolv.conf`), "../run/systemd/resolve/stub-resolv.conf");
  assertEquals(await Deno.readLink(`${rootfs}/etc/hosts`), "/nonexistent/hosts");
});

Deno.test("on an overlay rootfs, only the RUN's own changes reach the upper dir", async () => {
  const { dir, rootfs: lower } = await makeBusyboxRootfs();
  for (const d of ["upper", "work", "merged"]) await Deno.mkdir(`${dir}/${d}`);
  const opts = `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work` +
    ((await inInitialUserNamespace()) ? "" : ",userxattr");
  const mount = await new Deno.Command("mount", { args: ["-t", "overlay", "overlay", "-o", opts, `${dir}/merged`] })
    .output();
  assert(mount.success, dec.decode(mount.stderr));
  try {
    const executor = new RuncExecutor({ stateDir: `${dir}/state` });
    const r = await executor.run({
      rootfs: `${dir}/merged`,
      args: ["/bin/sh", "-c", "echo hi > /etc/motd"],
      env: [],
      cwd: "/",
      user: "root",
      network: "default",
      mounts: [{ type: "tmpfs", target: "/cache" }],
      stdout() {},
      stderr() {},
    });
    assertEquals(r.exitCode, 0);
  } finally {
    await new Deno.Command("umount", { args: [`${dir}/merged`] }).output();
  }
  const walk = async (p: string, rel = ""): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of Deno.readDir(p)) {
      out.push(`${rel}/${e.name}`);
      if (e.isDirectory) out.push(...await walk(`${p}/${e.name}`, `${rel}/${e.name}`));
    }
    return out.sort();
  };
  assertEquals(await walk(`${dir}/upper`), ["/etc", "/etc/motd"]);
});
