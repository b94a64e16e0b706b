/**
 * Remote build contexts, as `docker build` takes them. A git repository (`https://host/repo.git#ref:subdir`,
 * `git@host:repo.git`, `git://…`, `ssh://…`, `github.com/user/repo`) is fetched at `ref` (default: the remote's
 * HEAD) with git, submodules included, and `subdir` of it is the context, without `.git` unless the build arg
 * BUILDKIT_CONTEXT_KEEP_GIT_DIR=1 asks for it. Any other http(s) URL is downloaded: a tar archive (plain or
 * compressed) is the context, anything else the Dockerfile of an empty context.
 *
 * @module
 */
import { join, normalize } from "node:path";
import { TsbuildError } from "../errors.ts";
import { type StdinContext, streamContext } from "./stdin_context.ts";

/** A remote context that could not be fetched. */
export class RemoteContextError extends TsbuildError {}

/** Whether `context` names a git repository (moby's IsGitURL, plus ssh://). */
export function isGitContext(context: string): boolean {
  if (/^(git:\/\/|git@|github\.com\/|ssh:\/\/)/.test(context)) return true;
  return /^https?:\/\//.test(context) && /\.git(#.*)?$/.test(context);
}

/** Whether `context` is fetched rather than read from a directory. */
export function isRemoteContext(context: string): boolean {
  return isGitContext(context) || /^https?:\/\//.test(context);
}

/** Fetches a remote context into a temporary dir; `file` is the Dockerfile's path inside it. */
export async function remoteContext(
  context: string,
  file: string,
  options: { keepGitDir?: boolean; signal?: AbortSignal } = {},
): Promise<StdinContext> {
  if (isGitContext(context)) return await gitContext(context, file, options);
  let res: Response;
  try {
    res = await fetch(context, { signal: options.signal, redirect: "follow" });
  } catch (e) {
    throw new RemoteContextError(`unable to download remote context ${context}: ${(e as Error).message}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new RemoteContextError(`unable to download remote context ${context}: ${res.status} ${res.statusText}`);
  }
  return await streamContext(res.body, file, context);
}

/** Splits `url#ref:subdir` (the fragment is optional, and so is each part of it). */
export function parseGitContext(context: string): { url: string; ref?: string; subdir?: string } {
  const hash = context.indexOf("#");
  let url = hash < 0 ? context : context.slice(0, hash);
  const fragment = hash < 0 ? "" : context.slice(hash + 1);
  if (url.startsWith("github.com/")) url = `https://${url}`;
  const colon = fragment.indexOf(":");
  const ref = colon < 0 ? fragment : fragment.slice(0, colon);
  const subdir = colon < 0 ? "" : fragment.slice(colon + 1);
  return { url, ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}) };
}

async function git(args: string[], cwd: string, what: string, signal?: AbortSignal): Promise<void> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
    // Never wait for a password on a terminal: a build must fail, not hang.
    env: { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "true" },
  }).output().catch((e) => {
    throw new RemoteContextError(`${what}: cannot run git (${(e as Error).message}); install git`);
  });
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").filter(Boolean).slice(-3).join("; ");
    throw new RemoteContextError(`${what}: ${why || `git ${args[0]} failed`}`);
  }
}

async function gitContext(
  context: string,
  file: string,
  options: { keepGitDir?: boolean; signal?: AbortSignal },
): Promise<StdinContext> {
  const { url, ref, subdir } = parseGitContext(context);
  const what = `unable to fetch git context ${context}`;
  if (subdir && (subdir.startsWith("/") || normalize(subdir).startsWith(".."))) {
    throw new RemoteContextError(`${what}: subdirectory ${subdir} is outside the repository`);
  }
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-git-context-" });
  const close = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    const s = options.signal;
    await git(["init", "-q"], dir, what, s);
    await git(["remote", "add", "origin", url], dir, what, s);
    const isCommit = ref !== undefined && /^[0-9a-f]{7,40}$/.test(ref);
    try {
      await git(["fetch", "-q", "--depth", "1", "--no-tags", "origin", ref ?? "HEAD"], dir, what, s);
    } catch {
      // Git's dumb HTTP protocol cannot fetch shallow, and a commit that is not a branch or tag tip can only be
      // fetched by id where the server allows it: with the whole history both work.
      await git(["fetch", "-q", "--no-tags", "origin", ...(isCommit ? [] : [ref ?? "HEAD"])], dir, what, s);
    }
    const commit = isCommit ? ref : "FETCH_HEAD";
    await git(["-c", "advice.detachedHead=false", "checkout", "-q", commit], dir, `${what}: ref ${ref ?? "HEAD"}`, s);
    const hasModules = await Deno.stat(join(dir, ".gitmodules")).then(() => true, () => false);
    if (hasModules) await git(["submodule", "update", "-q", "--init", "--recursive", "--depth", "1"], dir, what, s);
    if (!options.keepGitDir) await Deno.remove(join(dir, ".git"), { recursive: true });
    const contextDir = subdir ? join(dir, normalize(subdir)) : dir;
    const isDir = await Deno.stat(contextDir).then((st) => st.isDirectory, () => false);
    if (!isDir) throw new RemoteContextError(`${what}: no directory ${subdir} in the repository`);
    // -f names a file in the repository; an absolute path or - (stdin) is the caller's own.
    const dockerfilePath = file === "-" || file.startsWith("/") ? file : join(contextDir, file);
    return { contextDir, dockerfilePath, close };
  } catch (e) {
    await close();
    throw e;
  }
}
