/**
 * The SSH proof (issue #7), end to end with the real CLI as root and as an unprivileged user: a RUN on a Debian
 * base clones a git repo over SSH from a real sshd through `--mount=type=ssh`, with tsbuild's own agent
 * (`--ssh default=KEYFILE`) and with a real ssh-agent (`--ssh default`); the clone lands in the image while the key
 * appears in no blob and no store file.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { pushDebianImage } from "../util/debian_base.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspectConfig, unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";
import { makeKey, sh, startSshd } from "../../ssh/test_sshd.ts";
import { findLeaks } from "../../ssh/test_leak_scan.ts";

const registry = await startRegistry();
const busybox = await pushBusyboxImage(registry.host);
const debian = await pushDebianImage(registry.host);
const user = await testUser();

/** A throwaway key readable by the unprivileged user too (it is only ever used against the test sshd). */
async function throwawayKey(): Promise<{ dir: string; key: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-sshkey-" });
  await Deno.chmod(dir, 0o755);
  const key = await makeKey(`${dir}/id_ed25519`);
  await Deno.chmod(key, 0o644);
  return { dir, key };
}

/** A bare repo in the sshd's dir with one commit holding `hello.txt` = `content`. */
async function bareRepo(sshdDir: string, content: string): Promise<string> {
  const repo = `${sshdDir}/repo.git`;
  const work = await Deno.makeTempDir();
  try {
    await sh("git", ["init", "-q", "--bare", "-b", "main", repo]);
    await sh("git", ["init", "-q", "-b", "main", work]);
    await Deno.writeTextFile(`${work}/hello.txt`, content);
    await sh("git", ["-C", work, "add", "hello.txt"]);
    await sh("git", [
      "-C",
      work,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.invalid",
      "commit",
      "-q",
      "-m",
      "one",
    ]);
    await sh("git", ["-C", work, "push", "-q", repo, "main"]);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  return repo;
}

/** A real ssh-agent run by `as` holding `key`; stopped by pid. */
async function startAgent(as: "root" | "user", key: string): Promise<{ sock: string; stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-agent-" });
  // ssh-agent only answers its own uid (and root), and the build connects as whoever runs tsbuild.
  if (as === "user") await Deno.chown(dir, user.uid, user.gid);
  const sock = `${dir}/agent.sock`;
  const asUser = (cmd: string[]) => as === "user" ? ["runuser", "-u", user.name, "--", ...cmd] : cmd;
  const [cmd, ...args] = asUser(["ssh-agent", "-D", "-a", sock]);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).spawn();
  for (let i = 0; i < 100 && !(await Deno.stat(sock).then(() => true, () => false)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // From stdin: ssh-add refuses a key file others can read, and this one must be readable by both users.
  const [addCmd, ...addArgs] = asUser(["sh", "-c", 'SSH_AUTH_SOCK="$1" ssh-add -q - < "$2"', "sh", sock, key]);
  await sh(addCmd, addArgs);
  return {
    sock,
    stop: async () => {
      try {
        Deno.kill(child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await removeAll(dir);
    },
  };
}

for (const as of ["root", "user"] as const) {
  Deno.test(`ssh: git clone over SSH in a RUN with tsbuild's agent and with ssh-agent, no key in the image (${as})`, async () => {
    const { dir: keyDir, key } = await throwawayKey();
    const keyText = await Deno.readTextFile(key);
    const fingerprint = (await sh("ssh-keygen", ["-l", "-f", `${key}.pub`])).split(" ")[1];
    const sshd = await startSshd([await Deno.readTextFile(`${key}.pub`)]);
    const content = `cloned over ssh ${crypto.randomUUID()}\n`;
    const repo = await bareRepo(sshd.dir, content);
    const store = await makeStore(as === "user" ? user : undefined);
    const cleanup: string[] = [keyDir, store];
    let agent: { sock: string; stop(): Promise<void> } | undefined;
    try {
      for (const variant of ["own-agent", "ssh-agent"] as const) {
        // The variant is part of the RUN so the second build does not hit the first one's cache.
        const ctx = await makeContext({
          "Dockerfile": `FROM ${debian}
RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /sock-path && \\
    GIT_SSH_COMMAND="ssh -p ${sshd.port} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null" \\
    git clone -q ssh://root@127.0.0.1${repo} /src && echo ${variant} > /variant
USER nobody
RUN --mount=type=ssh,target=/tmp/agent.sock,uid=65534,gid=65534,mode=0600 \\
    test "$SSH_AUTH_SOCK" = /tmp/agent.sock && ssh-add -l > /tmp/keys.txt
`,
        });
        cleanup.push(ctx);
        const ref = `${registry.host}/e2e/ssh-${as}:${variant}`;
        let sshFlag: string;
        const env: Record<string, string> = {};
        if (variant === "own-agent") {
          sshFlag = `default=${key}`;
        } else {
          agent = await startAgent(as, key);
          sshFlag = "default";
          env.SSH_AUTH_SOCK = agent.sock;
        }
        const r = await runTsbuild(
          ["build", "--root", store, "--progress", "plain", "--ssh", sshFlag, "-t", ref, "--push", ctx],
          { as, env },
        );
        assertEquals(r.code, 0, `build (${variant}) failed:\n${r.stderr}`);

        const rootfs = await unpackWithUmoci(ref);
        cleanup.push(`${rootfs}/..`);
        assertEquals(await Deno.readTextFile(`${rootfs}/src/hello.txt`), content, "the clone is in the image");
        assertEquals((await Deno.readTextFile(`${rootfs}/variant`)).trim(), variant);
        assertEquals((await Deno.readTextFile(`${rootfs}/sock-path`)).trim(), "/run/buildkit/ssh_agent.0");
        // A non-root RUN reaches the agent through a socket given its uid/mode, at the target it asked for.
        assertStringIncludes(await Deno.readTextFile(`${rootfs}/tmp/keys.txt`), fingerprint);
        assert(
          !(await Deno.lstat(`${rootfs}/tmp/agent.sock`).then(() => true, () => false)),
          "no socket stub in the image",
        );
        assert(
          !(await Deno.lstat(`${rootfs}/run/buildkit`).then(() => true, () => false)),
          "the socket's mount point must not reach the image",
        );
        const cfg = await skopeoInspectConfig(ref);
        assert(
          !(cfg.config.Env ?? []).some((e: string) => e.startsWith("SSH_AUTH_SOCK=")),
          "SSH_AUTH_SOCK is for the RUN only",
        );

        const leaks = await findLeaks([keyText], { ref, dirs: [store] });
        assertEquals(leaks, [], "no blob or store file may hold the private key");
        if (agent) {
          await agent.stop();
          agent = undefined;
        }
      }
    } finally {
      if (agent) await agent.stop();
      await sshd.close();
      for (const d of cleanup) await removeAll(d);
    }
  });

  Deno.test(`ssh: a required ssh mount without --ssh fails naming the id; an optional one is skipped (${as})`, async () => {
    const store = await makeStore(as === "user" ? user : undefined);
    const required = await makeContext({
      "Dockerfile": `FROM ${busybox}\nRUN --mount=type=ssh,id=deploy,required=true true\n`,
    });
    const optional = await makeContext({
      "Dockerfile": `FROM ${busybox}\nRUN --mount=type=ssh echo "[$SSH_AUTH_SOCK]" > /sock.txt\n`,
    });
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", required], { as });
      assert(r.code !== 0, "the build must fail");
      assertStringIncludes(r.stderr, `"deploy"`);
      assertStringIncludes(r.stderr, "--ssh deploy");

      const ref = `${registry.host}/e2e/ssh-optional-${as}:1`;
      const ok = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", optional], {
        as,
      });
      assertEquals(ok.code, 0, ok.stderr);
      const rootfs = await unpackWithUmoci(ref);
      try {
        assertEquals((await Deno.readTextFile(`${rootfs}/sock.txt`)).trim(), "[]");
      } finally {
        await removeAll(`${rootfs}/..`);
      }

      const bad = await runTsbuild(["build", "--root", store, "--ssh", "default", optional], {
        as,
        env: { SSH_AUTH_SOCK: "" },
      });
      assert(bad.code !== 0, "--ssh default without an agent must fail");
      assertStringIncludes(bad.stderr, "SSH_AUTH_SOCK");
    } finally {
      for (const d of [store, required, optional]) await removeAll(d);
    }
  });
}

Deno.test({
  name: "ssh: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
