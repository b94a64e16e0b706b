import { assert, assertEquals } from "../test/util/assert.ts";
import { buildSpec, DEFAULT_CAPABILITIES, type SpecInput, specJson } from "./spec.ts";

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

Deno.test("--ulimit replaces the default of its name and adds others; unlimited is RLIM_INFINITY in the JSON", () => {
  const spec = buildSpec(input({ ulimits: [{ name: "nofile", soft: 10, hard: 20 }, { name: "nproc", soft: -1, hard: -1 }] }));
  assertEquals(spec.process.rlimits, [
    { type: "RLIMIT_NOFILE", hard: 20, soft: 10 },
    { type: "RLIMIT_NPROC", hard: -1, soft: -1 },
  ]);
  const json = specJson(spec);
  assert(json.includes(`"type":"RLIMIT_NPROC","hard":18446744073709551615,"soft":18446744073709551615`), json);
  assert(!json.includes("RLIM_INFINITY"), json);
});

Deno.test("--shm-size sizes /dev/shm; RUN --security=insecure gets every capability and an unmasked /proc", () => {
  const shm = (s: ReturnType<typeof buildSpec>) => s.mounts.find((m) => m.destination === "/dev/shm")!.options ?? [];
  assert(shm(buildSpec(input())).includes("size=65536k"));
  assert(shm(buildSpec(input({ shmSize: 256 * 1024 * 1024 }))).includes("size=262144k"));
  const insecure = buildSpec(input({ privileged: true }));
  const bounding = insecure.process.capabilities?.bounding ?? [];
  assert(bounding.includes("CAP_SYS_ADMIN"));
  assertEquals(bounding.length, 41);
  assertEquals([insecure.linux.maskedPaths, insecure.linux.readonlyPaths], [[], []]);
  // Never more than the bounding set of the process that starts the container (here: all but CAP_SYS_RESOURCE).
  const host = { nofile: 1024, ttyGidMapped: true, mqueue: true, bounding: 0x1fffeffffffn };
  const bounded = buildSpec(input({ privileged: true, host })).process.capabilities?.bounding ?? [];
  assertEquals(bounded.length, 40);
  assert(!bounded.includes("CAP_SYS_RESOURCE") && bounded.includes("CAP_CHECKPOINT_RESTORE"));
  assert(!buildSpec(input()).process.capabilities?.bounding?.includes("CAP_SYS_ADMIN"));
});
