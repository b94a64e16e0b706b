/**
 * A real CNCF distribution registry (`docker-registry`, Debian package docker-registry) for tests: filesystem
 * storage in a fresh temp dir, deletes enabled, listening on a free 127.0.0.1 port.
 *
 * @module
 */

/** A running registry; `stop()` kills it and removes its storage. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of an image reference. */
  host: string;
  /** `http://127.0.0.1:PORT` (or `https://` with `tls`). */
  url: string;
  /** Temp dir holding config.yml, registry.log and the storage root (`data/`). */
  dir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** htpasswd file *contents* (bcrypt entries, see `htpasswdEntry`); enables basic auth. */
  htpasswd?: string;
  /** PEM file paths; the registry then serves HTTPS only. */
  tls?: { cert: string; key: string };
}

const REGISTRY_BIN = "/usr/bin/docker-registry";

/** Thrown when the registry does not come up; the message carries its log. */
export class RegistryStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegistryStartError";
  }
}

/** Starts a registry and waits until `GET /v2/` answers (any HTTP status counts: 401 means auth is on). */
export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  // A port picked by the kernel can be taken by someone else before the registry binds it: retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

async function startOnce(opts: RegistryOptions): Promise<TestRegistry> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-registry-" });
  const port = freePort();
  const host = `127.0.0.1:${port}`;
  const scheme = opts.tls ? "https" : "http";
  const url = `${scheme}://${host}`;
  let config = `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dir}/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: ${host}
  secret: tsbuild-test-secret
`;
  if (opts.tls) {
    config += `  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}\n`;
  }
  if (opts.htpasswd !== undefined) {
    await Deno.writeTextFile(`${dir}/htpasswd`, opts.htpasswd);
    config += `auth:\n  htpasswd:\n    realm: tsbuild-test\n    path: ${dir}/htpasswd\n`;
  }
  await Deno.writeTextFile(`${dir}/config.yml`, config);

  // `exec` under sh so the pid we hold is the registry's own and the log goes straight to a file.
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$0" serve "$1" >"$2" 2>&1`, REGISTRY_BIN, `${dir}/config.yml`, `${dir}/registry.log`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });

  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const timer = setTimeout(() => {
        try {
          if (!exited) child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, 5000);
      await status;
      clearTimeout(timer);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  // With TLS only a TCP connect is probed: the caller's certificate may not be one this process trusts.
  for (let i = 0; i < 300 && !exited; i++) {
    try {
      if (opts.tls) {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      } else {
        const res = await fetch(`${url}/v2/`);
        await res.body?.cancel();
      }
      return { host, url, dir, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const log = await Deno.readTextFile(`${dir}/registry.log`).catch(() => "(no log)");
  await stop();
  throw new RegistryStartError(`docker-registry on ${host} did not answer GET /v2/; its log:\n${log}`);
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * One htpasswd line with a bcrypt hash (the only scheme distribution accepts). Uses Python's `crypt` over the
 * system libcrypt (bcrypt `$2b$`, cost 4 to keep tests quick): Debian 12 has python3 but neither htpasswd nor mkpasswd.
 */
export async function htpasswdEntry(user: string, password: string): Promise<string> {
  const script = "import crypt,sys,warnings\nwarnings.simplefilter('ignore')\n" +
    "print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))";
  const out = await new Deno.Command("python3", { args: ["-c", script, password], stdout: "piped", stderr: "piped" })
    .output();
  const hash = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || !hash.startsWith("$2")) {
    throw new Error(`htpasswdEntry: python3 crypt failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return `${user}:${hash}\n`;
}
