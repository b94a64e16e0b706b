/**
 * Git and file servers for remote-context tests, on 127.0.0.1: a real `git daemon` (git:// smart protocol) over
 * a dir of bare repositories, and a static HTTP server over the same dir (git's dumb HTTP protocol after
 * `git update-server-info`, and plain files such as context tarballs).
 *
 * @module
 */

/** Running servers over `dir`; `stop()` stops both and removes `dir`. */
export interface GitServers {
  dir: string;
  /** `git://127.0.0.1:PORT` */
  gitUrl: string;
  /** `http://127.0.0.1:PORT` */
  httpUrl: string;
  stop(): Promise<void>;
}

/** Runs git with a fixed identity; throws with its stderr on failure. */
export async function gitRun(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: [
      "-c",
      "user.name=tsbuild-test",
      "-c",
      "user.email=test@tsbuild.invalid",
      "-c",
      "init.defaultBranch=main",
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim();
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts both servers over a new temp dir and waits until git daemon accepts connections. */
export async function startGitServers(): Promise<GitServers> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-git-served-" });
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const daemon = new Deno.Command("git", {
    args: ["daemon", "--reuseaddr", "--export-all", `--base-path=${dir}`, "--listen=127.0.0.1", `--port=${port}`, dir],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("bad path", { status: 400 });
    try {
      return new Response(await Deno.readFile(`${dir}${path}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const stop = async () => {
    try {
      daemon.kill("SIGTERM");
    } catch { /* gone */ }
    await daemon.status;
    await http.shutdown();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { dir, gitUrl: `git://127.0.0.1:${port}`, httpUrl: `http://127.0.0.1:${http.addr.port}`, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await stop();
  throw new Error(`git daemon did not listen on 127.0.0.1:${port}`);
}

/**
 * Makes `<dir>/<name>.git`, a bare repository with one commit of `files` on main; returns a function that
 * commits more files (on main, optionally tagging the commit) and the work tree's path.
 */
export async function makeRepo(
  servers: GitServers,
  name: string,
  files: Record<string, string>,
): Promise<{ commit(files: Record<string, string>, tag?: string): Promise<string>; head(): Promise<string> }> {
  // Inside the served dir, so stop() removes it too.
  const work = `${servers.dir}/work-${name}`;
  await Deno.mkdir(work);
  const bare = `${servers.dir}/${name}.git`;
  await gitRun(work, "init", "-q");
  const commit = async (f: Record<string, string>, tag?: string) => {
    for (const [p, text] of Object.entries(f)) {
      await Deno.mkdir(`${work}/${p}`.replace(/\/[^/]*$/, ""), { recursive: true });
      await Deno.writeTextFile(`${work}/${p}`, text);
    }
    await gitRun(work, "add", "-A");
    await gitRun(work, "commit", "-q", "-m", `commit ${Object.keys(f).join(" ")}`);
    if (tag) await gitRun(work, "tag", tag);
    await gitRun(work, "push", "-q", "--tags", bare, "main");
    // The dumb HTTP protocol reads the refs and packs from files this writes.
    await gitRun(bare, "update-server-info");
    return await gitRun(work, "rev-parse", "HEAD");
  };
  await gitRun(servers.dir, "init", "-q", "--bare", bare);
  await commit(files);
  return { commit, head: () => gitRun(work, "rev-parse", "HEAD") };
}
