/**
 * The agent as a RUN sees it: its socket bind-mounted into a real runc container (a Debian rootfs with ssh-add)
 * and used by a non-root container user, as op_exec mounts it. Runs as root and, through
 * test/util/in_namespace.sh, inside the rootless user namespace.
 */
import { assert, assertEquals, assertStringIncludes } from "../test/util/assert.ts";
import { debianLayout } from "../test/util/debian_base.ts";
import { RuncExecutor } from "../executor/mod.ts";
import { inInitialUserNamespace } from "../executor/host_facts.ts";
import { SshAgentServer } from "./agent_server.ts";
import { makeKey, sh } from "./test_sshd.ts";

const dec = new TextDecoder();

async function debianRootfs(dir: string): Promise<string> {
  const rootless = !(await inInitialUserNamespace());
  await sh("umoci", [
    "unpack",
    ...(rootless ? ["--rootless"] : []),
    "--image",
    `${await debianLayout()}:latest`,
    `${dir}/bundle`,
  ]);
  return `${dir}/bundle/rootfs`;
}

Deno.test("a RUN user connects to the agent through the bind-mounted socket only when uid/mode allow it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-ssh-run-" });
  const agent = await SshAgentServer.start({ id: "default", paths: [await makeKey(`${dir}/id`)] }, dir);
  try {
    const rootfs = await debianRootfs(dir);
    const executor = new RuncExecutor({ stateDir: `${dir}/state` });
    const run = async (sockPath: string, user: string) => {
      let out = "", err = "";
      const r = await executor.run({
        rootfs,
        args: ["/bin/sh", "-c", "ssh-add -l; echo rc=$?"],
        env: ["SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0"],
        cwd: "/",
        user,
        network: "default",
        mounts: [{ type: "bind", source: sockPath, target: "/run/buildkit/ssh_agent.0", readonly: true }],
        stdout: (c) => out += dec.decode(c),
        stderr: (c) => err += dec.decode(c),
      });
      assertEquals(r.exitCode, 0, err);
      return out + err;
    };
    const fp = (await sh("ssh-keygen", ["-l", "-f", `${dir}/id.pub`])).split(" ")[1];

    const forNobody = await agent.listen({ uid: 65534, gid: 65534, mode: 0o600 });
    const ok = await run(forNobody.path, "nobody");
    assertStringIncludes(ok, fp);
    assertStringIncludes(ok, "rc=0");

    // The default owner (root, 0600) keeps other container users out: the mount's uid/mode are what grant access.
    const forRoot = await agent.listen({ uid: 0, gid: 0, mode: 0o600 });
    const denied = await run(forRoot.path, "nobody");
    assert(!denied.includes(fp) && /rc=2/.test(denied), `nobody must not reach a root-only socket: ${denied}`);
    assertStringIncludes(await run(forRoot.path, "root"), fp);
  } finally {
    await agent.close();
    await sh("rm", ["-rf", dir]);
  }
});
