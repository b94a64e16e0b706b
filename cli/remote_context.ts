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
import { checkoutGit, GitFetchError, GitUrlError, isGitUrl, parseGitUrl } from "../fileop/mod.ts";

/** A remote context that could not be fetched. */
export class RemoteContextError extends TsbuildError {}

/** Whether `context` names a git repository. */
export const isGitContext: (context: string) => boolean = isGitUrl;

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

async function gitContext(
  context: string,
  file: string,
  options: { keepGitDir?: boolean; signal?: AbortSignal },
): Promise<StdinContext> {
  const what = `unable to fetch git context ${context}`;
  let spec;
  try {
    spec = parseGitUrl(context);
  } catch (e) {
    if (e instanceof GitUrlError) throw new RemoteContextError(`${what}: ${e.message}`);
    throw e;
  }
  const { url, ref, subdir, checksum } = spec;
  if (subdir && (subdir.startsWith("/") || normalize(subdir).startsWith(".."))) {
    throw new RemoteContextError(`${what}: subdirectory ${subdir} is outside the repository`);
  }
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-git-context-" });
  const close = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    try {
      const commit = await checkoutGit(url, ref, dir, {
        keepGitDir: spec.keepGitDir ?? options.keepGitDir,
        submodules: spec.submodules,
        signal: options.signal,
      });
      if (checksum && !commit.startsWith(checksum)) {
        throw new RemoteContextError(`${what}: ${ref ?? "HEAD"} is commit ${commit}, not checksum ${checksum}`);
      }
    } catch (e) {
      if (e instanceof GitFetchError) throw new RemoteContextError(`${what}: ${e.message}`);
      throw e;
    }
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
