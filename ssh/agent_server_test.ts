import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { SshAgentServer } from "./agent_server.ts";
import { SshError } from "./errors.ts";
import { makeKey, sh, shStatus, startSshd } from "./test_sshd.ts";

const SSH_OPTS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes"];

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-ssh-test-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function fingerprint(pubLine: string): Promise<string> {
  return withDir(async (d) => {
    await Deno.writeTextFile(`${d}/k.pub`, pubLine);
    return (await sh("ssh-keygen", ["-l", "-f", `${d}/k.pub`])).split(" ")[1];
  });
}

Deno.test("agent with key files: ssh-add -l lists every key and ssh logs in to a real sshd with each", async () => {
  await withDir(async (dir) => {
    const types = ["ed25519", "rsa", "ecdsa"];
    const keys = await Promise.all(types.map((t) => makeKey(`${dir}/id_${t}`, t)));
    const pubs = await Promise.all(keys.map((k) => Deno.readTextFile(`${k}.pub`)));
    const sshd = await startSshd(pubs.slice(0, 1));
    const agent = await SshAgentServer.start({ id: "default", paths: keys }, dir);
    try {
      assertEquals((await Deno.stat(agent.socketPath)).mode! & 0o777, 0o600);
      const listed = await sh("ssh-add", ["-l"], { SSH_AUTH_SOCK: agent.socketPath });
      for (const p of pubs) assertStringIncludes(listed, await fingerprint(p));
      assertEquals(listed.trim().split("\n").length, 3);
      // Each key type in turn is the only authorized one, so every signature algorithm is exercised for real.
      for (let i = 0; i < keys.length; i++) {
        await Deno.writeTextFile(`${sshd.dir}/authorized_keys`, pubs[i]);
        const out = await sh("ssh", [
          ...SSH_OPTS,
          "-o",
          `IdentityAgent=${agent.socketPath}`,
          "-o",
          "IdentitiesOnly=no",
          "-F",
          "/dev/null",
          "-p",
          String(sshd.port),
          "root@127.0.0.1",
          "echo",
          `logged-in-${types[i]}`,
        ], { HOME: dir });
        assertEquals(out.trim(), `logged-in-${types[i]}`);
      }
      // A key the agent does not hold is not authorized: the login must fail, proving the agent is what signs.
      await makeKey(`${dir}/other`);
      await Deno.writeTextFile(`${sshd.dir}/authorized_keys`, await Deno.readTextFile(`${dir}/other.pub`));
      const denied = await shStatus("ssh", [
        ...SSH_OPTS,
        "-o",
        `IdentityAgent=${agent.socketPath}`,
        "-F",
        "/dev/null",
        "-p",
        String(sshd.port),
        "root@127.0.0.1",
        "true",
      ], { HOME: dir });
      assert(denied.code !== 0, "login with an unauthorized key must fail");
    } finally {
      await agent.close();
      await sshd.close();
    }
  });
});

Deno.test("agent without paths forwards $SSH_AUTH_SOCK to a real ssh-agent", async () => {
  await withDir(async (dir) => {
    const key = await makeKey(`${dir}/id`);
    const upstream = `${dir}/upstream.sock`;
    const agentProc = new Deno.Command("ssh-agent", { args: ["-D", "-a", upstream], stdout: "null", stderr: "null" })
      .spawn();
    const old = Deno.env.get("SSH_AUTH_SOCK");
    try {
      for (let i = 0; i < 100 && !(await Deno.stat(upstream).then(() => true, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await sh("ssh-add", [key], { SSH_AUTH_SOCK: upstream });
      Deno.env.set("SSH_AUTH_SOCK", upstream);
      const agent = await SshAgentServer.start({ id: "default", paths: [] }, dir);
      try {
        const listed = await sh("ssh-add", ["-l"], { SSH_AUTH_SOCK: agent.socketPath });
        assertStringIncludes(listed, await fingerprint(await Deno.readTextFile(`${key}.pub`)));
        // A socket given as the path is forwarded the same way (buildx: `--ssh id=/path/to/agent.sock`).
        const bySocket = await SshAgentServer.start({ id: "sock", paths: [upstream] }, dir);
        try {
          assertEquals(await sh("ssh-add", ["-l"], { SSH_AUTH_SOCK: bySocket.socketPath }), listed);
        } finally {
          await bySocket.close();
        }
      } finally {
        await agent.close();
      }
    } finally {
      if (old === undefined) Deno.env.delete("SSH_AUTH_SOCK");
      else Deno.env.set("SSH_AUTH_SOCK", old);
      Deno.kill(agentProc.pid, "SIGTERM");
      await agentProc.status;
    }
  });
});

Deno.test("agent errors name the flag and the cause", async () => {
  await withDir(async (dir) => {
    const old = Deno.env.get("SSH_AUTH_SOCK");
    Deno.env.delete("SSH_AUTH_SOCK");
    try {
      await assertRejects(
        () => SshAgentServer.start({ id: "default", paths: [] }, dir),
        SshError,
        "SSH_AUTH_SOCK is not set",
      );
    } finally {
      if (old !== undefined) Deno.env.set("SSH_AUTH_SOCK", old);
    }
    const locked = await makeKey(`${dir}/locked`, "ed25519", "s3cret-pass");
    await assertRejects(() => SshAgentServer.start({ id: "gh", paths: [locked] }, dir), SshError, "passphrase");
    await assertRejects(
      () => SshAgentServer.start({ id: "gh", paths: [`${locked}.pub`] }, dir),
      SshError,
      "public key",
    );
    await assertRejects(
      () => SshAgentServer.start({ id: "gh", paths: [`${dir}/missing`] }, dir),
      SshError,
      `${dir}/missing`,
    );
    await Deno.writeTextFile(`${dir}/junk`, "not a key\n");
    await assertRejects(() => SshAgentServer.start({ id: "gh", paths: [`${dir}/junk`] }, dir), SshError, "--ssh gh=");
  });
});

Deno.test("extra sockets get the mount's owner and mode, and close removes the listeners", async () => {
  await withDir(async (dir) => {
    const key = await makeKey(`${dir}/id`);
    const agent = await SshAgentServer.start({ id: "default", paths: [key] }, dir);
    try {
      const run = await agent.listen({ uid: 1234, gid: 5678, mode: 0o660 });
      const st = await Deno.stat(run.path);
      assertEquals([st.uid, st.gid, st.mode! & 0o777], [1234, 5678, 0o660]);
      assertStringIncludes(await sh("ssh-add", ["-l"], { SSH_AUTH_SOCK: run.path }), "ED25519");
      // A second RUN's socket is independent: closing it leaves the first one and the agent's own serving.
      const other = await agent.listen({ uid: 0, gid: 0, mode: 0o600 });
      assert(other.path !== run.path);
      await other.close();
      assert(!(await Deno.stat(other.path).then(() => true, () => false)), "a closed socket's file is removed");
      assertStringIncludes(await sh("ssh-add", ["-l"], { SSH_AUTH_SOCK: run.path }), "ED25519");
    } finally {
      await agent.close();
    }
    const after = await shStatus("ssh-add", ["-l"], { SSH_AUTH_SOCK: agent.socketPath });
    assert(after.code === 2, `no agent should answer after close, ssh-add said: ${after.stdout}${after.stderr}`);
  });
});
