/**
 * Test fixtures shared by the agent tests and the e2e SSH proof: throwaway keys from `ssh-keygen` and a real
 * OpenSSH `sshd` on 127.0.0.1 (a free port, a throwaway host key, one authorized user key), run as root.
 * @module
 */

/** A running sshd; `close()` stops it by pid and removes its files. */
export interface TestSshd {
  port: number;
  pid: number;
  /** World-readable dir holding the config, host key and anything a test puts there. */
  dir: string;
  close(): Promise<void>;
}

/** Makes a private key (mode 0600) with `ssh-keygen`; `.pub` beside it. */
export async function makeKey(path: string, type = "ed25519", passphrase = ""): Promise<string> {
  await sh("ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", `tsbuild-test-${type}`, "-f", path]);
  return path;
}

/** Starts sshd accepting public-key logins as root for the keys in `authorizedKeys` (public key lines). */
export async function startSshd(authorizedKeys: string[]): Promise<TestSshd> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-sshd-" });
  await Deno.chmod(dir, 0o755);
  await makeKey(`${dir}/host_ed25519`);
  await Deno.writeTextFile(`${dir}/authorized_keys`, authorizedKeys.join("\n") + "\n");
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/sshd_config`,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_ed25519`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "StrictModes no",
      "UsePAM no",
      "PidFile none",
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  // Privilege separation needs this dir; a system without a running sshd may not have it.
  await Deno.mkdir("/run/sshd", { recursive: true });
  const child = new Deno.Command("/usr/sbin/sshd", {
    args: ["-D", "-e", "-f", `${dir}/sshd_config`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  (async () => {
    const dec = new TextDecoder();
    for await (const c of child.stderr) log.push(dec.decode(c));
  })().catch(() => {});
  const close = async () => {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return { port, pid: child.pid, dir, close };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await close();
  throw new Error(`sshd did not start on 127.0.0.1:${port}: ${log.join("")}`);
}

/** Runs a command, throwing with its stderr when it fails; returns stdout. */
export async function sh(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}: ${dec.decode(out.stderr).trim()}`);
  return dec.decode(out.stdout);
}

/** Runs a command and returns its exit code and output, for asserting on failures. */
export async function shStatus(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
