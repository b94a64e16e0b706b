import { assert, assertEquals } from "../test/util/assert.ts";
import { diagnose, formatHostReport, type HostReport, inspectHost } from "./mod.ts";

const dec = new TextDecoder();

async function sh(cmd: string): Promise<{ ok: boolean; out: string }> {
  const o = await new Deno.Command("sh", { args: ["-c", cmd], stdout: "piped", stderr: "null" }).output();
  return { ok: o.success, out: dec.decode(o.stdout).trim() };
}

Deno.test("inspectHost agrees with what the shell finds on this host", async () => {
  const r = await inspectHost();
  assertEquals(r.uid, Number((await sh("id -u")).out));
  assertEquals(r.user, (await sh("id -un")).out);
  const runc = await sh("command -v runc");
  assertEquals(r.runc?.path, runc.ok ? runc.out : undefined);
  if (r.runc) assert(r.runc.version.startsWith("runc version"), r.runc.version);
  assertEquals(r.newuidmap, (await sh("command -v newuidmap")).out || undefined);
  // The report's claim that unshare works must match trying the same thing by hand.
  const args = r.realRoot ? "--mount --fork" : "--user --map-root-user --mount --fork";
  assertEquals(r.unshareWorks, (await sh(`unshare ${args} true`)).ok);
  assertEquals(r.snapshotter, r.overlayUsable ? "overlay" : r.fuseOverlayfs ? "fuse-overlayfs" : "native");
  assertEquals(r.problems, diagnose(r));
});

Deno.test("overlay usability is what mounting overlay in the namespace really gives", async () => {
  const r = await inspectHost();
  const dir = await Deno.makeTempDir();
  await sh(`cd ${dir} && mkdir l u w m`);
  const ns = r.realRoot ? "unshare --mount --fork" : "unshare --user --map-root-user --mount --fork";
  const opts = "lowerdir=l,upperdir=u,workdir=w" + (r.realRoot ? "" : ",userxattr");
  const manual = await sh(`cd ${dir} && ${ns} mount -t overlay overlay -o ${opts} m`);
  assertEquals(r.overlayUsable, manual.ok);
});

function healthy(): HostReport {
  return {
    uid: 1001,
    user: "alice",
    realRoot: false,
    insideNamespace: false,
    subuid: { start: 100000, count: 65536 },
    subgid: { start: 100000, count: 65536 },
    sysctls: { "user.max_user_namespaces": "1000" },
    usernsAllowed: true,
    unshareWorks: true,
    seccompBlocksUnshare: false,
    newuidmap: "/usr/bin/newuidmap",
    newgidmap: "/usr/bin/newgidmap",
    unshare: "/usr/bin/unshare",
    runc: { path: "/usr/sbin/runc", version: "runc version 1.1.5" },
    overlayUsable: true,
    mapping: "0 1001 1; 1 100000 65535",
    snapshotter: "overlay",
    problems: [],
  };
}

Deno.test("each host problem is explained with its fix", () => {
  assertEquals(diagnose(healthy()), []);
  const cases: [Partial<HostReport>, string, string][] = [
    [
      { sysctls: { "kernel.unprivileged_userns_clone": "0" }, usernsAllowed: false, unshareWorks: false },
      "unprivileged_userns_clone=0",
      "sysctl -w kernel.unprivileged_userns_clone=1",
    ],
    [
      { sysctls: { "user.max_user_namespaces": "0" }, usernsAllowed: false, unshareWorks: false },
      "max_user_namespaces=0",
      "sysctl -w user.max_user_namespaces=",
    ],
    [{ seccompBlocksUnshare: true, unshareWorks: false }, "seccomp", "seccomp=unconfined"],
    [{ newuidmap: undefined }, "newuidmap", "apt-get install uidmap"],
    [{ runc: undefined }, "runc", "apt-get install runc"],
    [{ subuid: undefined }, "/etc/subuid", "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice"],
    [{ overlayUsable: false, fuseOverlayfs: undefined }, "overlayfs", "apt-get install fuse-overlayfs"],
  ];
  for (const [change, what, fix] of cases) {
    const problems = diagnose({ ...healthy(), ...change });
    assert(problems.some((p) => p.what.includes(what) && p.fix.includes(fix)), `${what}: ${JSON.stringify(problems)}`);
  }
});

Deno.test("the formatted report shows the facts and every problem's fix", () => {
  const r = { ...healthy(), runc: undefined };
  r.problems = diagnose(r);
  const text = formatHostReport(r);
  assert(/^runc:\s+missing$/m.test(text), text);
  assert(/^uid mapping:\s+0 1001 1; 1 100000 65535$/m.test(text), text);
  assert(text.includes("fix: apt-get install runc"), text);
  assert(formatHostReport(healthy()).includes("No problems found."));
});
