import { assert, assertEquals } from "../test/util/assert.ts";
import { buildSpec, DEFAULT_CAPABILITIES, type SpecInput } from "./spec.ts";

function input(change: Partial<SpecInput> = {}): SpecInput {
  return {
    rootfs: "/r",
    args: ["sh"],
    env: ["A=1"],
    cwd: "/",
    user: { uid: 1, gid: 2, additionalGids: [3], home: "/" },
    hostname: "h",
    network: "default",
    hostsFile: "/b/hosts",
    resolvConfFile: "/b/resolv.conf",
    extraMounts: [{ destination: "/x", type: "tmpfs", source: "tmpfs" }],
    host: { nofile: 1048576, ttyGidMapped: true, mqueue: true },
    ...change,
  };
}

Deno.test("only network none gets a network namespace; there is never a user or cgroup namespace", () => {
  const types = (n: SpecInput["network"]) =>
    buildSpec(input({ network: n })).linux.namespaces.map((x) => x.type).sort();
  assertEquals(types("none"), ["ipc", "mount", "network", "pid", "uts"]);
  assertEquals(types("host"), ["ipc", "mount", "pid", "uts"]);
  assertEquals(types("default"), ["ipc", "mount", "pid", "uts"]);
});

Deno.test("the process gets Docker's capabilities, the user's groups and BuildKit's NOFILE", () => {
  const p = buildSpec(input()).process;
  assertEquals(p.capabilities?.bounding, [...DEFAULT_CAPABILITIES]);
  assert(DEFAULT_CAPABILITIES.includes("CAP_CHOWN") && !DEFAULT_CAPABILITIES.includes("CAP_SYS_ADMIN"));
  assertEquals(p.user, { uid: 1, gid: 2, umask: 0o022, additionalGids: [3] });
  assertEquals(p.rlimits, [{ type: "RLIMIT_NOFILE", hard: 1048576, soft: 1048576 }]);
  assertEquals(p.env, ["A=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
});

Deno.test("devpts asks for gid 5 only when it is mapped, and the RUN's mounts come last", () => {
  const devpts = (mapped: boolean) =>
    buildSpec(input({ host: { nofile: 1024, ttyGidMapped: mapped, mqueue: true } })).mounts
      .find((m) => m.destination === "/dev/pts")!.options!;
  assert(devpts(true).includes("gid=5") && !devpts(false).includes("gid=5"));
  const mounts = buildSpec(input()).mounts;
  assertEquals(mounts.at(-1)!.destination, "/x");
  assertEquals(mounts.find((m) => m.destination === "/sys")!.options!.includes("ro"), true);
  assertEquals(mounts.find((m) => m.destination === "/etc/hosts")!.source, "/b/hosts");
});
