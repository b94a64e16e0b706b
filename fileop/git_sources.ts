/**
 * Git repositories as build inputs (`ADD <git url> /dest`, git build contexts), fetched with the git CLI.
 * `#ref:subdir` or `?tag=…&subdir=…` (see {@linkcode parseGitUrl}) picks a branch, tag or commit and a directory of
 * it. A repository is resolved to its commit (`git ls-remote`) for a step's cache key, as BuildKit's git source keys
 * on the commit, and checked out once per commit into the store.
 *
 * @module
 */
import { join } from "node:path";
import { FileOpError } from "./errors.ts";

/** A git fetch or checkout that failed; the message is git's own last words. */
export class GitFetchError extends FileOpError {}

/**
 * A git URL's parts: `url#ref:subdir` (each part optional) or, since Dockerfile 1.18, the query form
 * `url?ref=|tag=|branch=…&checksum=|commit=…&subdir=…&keep-git-dir=…&submodules=…`, which may be mixed with the
 * fragment as long as they agree.
 */
export interface GitSpec {
  url: string;
  /** A branch, tag or commit; `refs/tags/x` / `refs/heads/x` for `?tag=x` / `?branch=x`. */
  ref?: string;
  subdir?: string;
  /** A commit id (or its prefix) `ref` must resolve to (`?checksum=`, alias `?commit=`). */
  checksum?: string;
  keepGitDir?: boolean;
  /** `?submodules=false` leaves submodules out of the checkout. */
  submodules?: boolean;
}

/** A git URL whose fragment or query cannot be read (unknown key, conflicting refs, ...). */
export class GitUrlError extends FileOpError {}

/** Whether `s` names a git repository (moby's IsGitURL, plus ssh://), the `github.com/…` shorthand included. */
export function isGitUrl(s: string): boolean {
  return s.startsWith("github.com/") || isGitRemote(s);
}

/**
 * Whether `s` is a git URL as `ADD` takes one: git://, ssh://, `git@host:…`, or http(s) whose path (not its query
 * or fragment) ends in `.git`.
 */
export function isGitRemote(s: string): boolean {
  if (/^(git:\/\/|git@|ssh:\/\/)/i.test(s)) return true;
  if (!/^https?:\/\//i.test(s)) return false;
  try {
    return new URL(s).pathname.endsWith(".git");
  } catch {
    return false;
  }
}

/** strconv.ParseBool, which BuildKit reads these options with. */
function parseBool(key: string, v: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  throw new GitUrlError(`query "${key}" must be true or false, not "${v}"`);
}

/** Splits a git URL into the repository and what to take of it; `github.com/…` gets https. */
export function parseGitUrl(spec: string): GitSpec {
  const hash = spec.indexOf("#");
  let url = hash < 0 ? spec : spec.slice(0, hash);
  const fragment = hash < 0 ? "" : spec.slice(hash + 1);
  const q = url.indexOf("?");
  const query = q < 0 ? "" : url.slice(q + 1);
  if (q >= 0) url = url.slice(0, q);
  if (url.startsWith("github.com/")) url = `https://${url}`;
  const colon = fragment.indexOf(":");
  const opts: Pick<GitSpec, "checksum" | "keepGitDir" | "submodules"> = {};
  let ref = colon < 0 ? fragment : fragment.slice(0, colon);
  let subdir = colon < 0 ? "" : fragment.slice(colon + 1);
  if (query) {
    const fail = (why: string): never => {
      throw new GitUrlError(`failed to parse git URL opts ${JSON.stringify(spec)}: ${why}`);
    };
    const params = new URLSearchParams(query);
    const seen = new Map<string, string>();
    for (const [k, v] of params) {
      if (seen.has(k)) fail(`query "${k}" has multiple values`);
      if (v === "") fail(`query "${k}" has no value`);
      seen.set(k, v);
    }
    let tag = "", branch = "";
    for (const [k, v] of seen) {
      switch (k) {
        case "ref":
          if (ref && ref !== v) fail(`ref conflicts: "${ref}" vs "${v}"`);
          ref = v;
          break;
        case "tag":
          tag = v;
          break;
        case "branch":
          branch = v;
          break;
        case "checksum":
        case "commit":
          opts.checksum = v;
          break;
        case "subdir":
          if (subdir && subdir !== v) fail(`subdir conflicts: "${subdir}" vs "${v}"`);
          subdir = v;
          break;
        case "keep-git-dir":
          opts.keepGitDir = parseBool(k, v);
          break;
        case "submodules":
          opts.submodules = parseBool(k, v);
          break;
        default:
          fail(`unexpected query "${k}"`);
      }
    }
    if (tag) {
      if (ref) fail("tag conflicts with ref");
      ref = `refs/tags/${tag}`;
    }
    if (branch) {
      if (tag) fail("branch conflicts with tag");
      if (ref) fail("branch conflicts with ref");
      ref = `refs/heads/${branch}`;
    }
    if (opts.checksum && !ref) ref = opts.checksum;
  }
  return { url, ...(ref ? { ref } : {}), ...(subdir ? { subdir } : {}), ...opts };
}

const COMMIT = /^[0-9a-f]{7,40}$/;

async function git(args: string[], cwd: string, signal?: AbortSignal): Promise<string> {
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
    throw new GitFetchError(`cannot run git (${(e as Error).message}); install git`);
  });
  if (!out.success) {
    const why = new TextDecoder().decode(out.stderr).trim().split("\n").filter(Boolean).slice(-3).join("; ");
    throw new GitFetchError(why || `git ${args[0]} failed`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** The commit `ref` (default: the remote's HEAD) names now; a commit id names itself. */
export async function resolveGitRef(url: string, ref: string | undefined, signal?: AbortSignal): Promise<string> {
  if (ref && COMMIT.test(ref)) return ref;
  // An annotated tag's commit is listed as `<tag>^{}`, and only when asked for by that name.
  const out = await git(["ls-remote", url, ...(ref ? [ref, `${ref}^{}`] : ["HEAD"])], "/", signal);
  const lines = out.trim().split("\n").filter(Boolean).map((l) => l.split("\t"));
  const want = ref ?? "HEAD";
  // An annotated tag is listed twice; its `^{}` line is the commit.
  const pick = lines.find(([, name]) => name === `refs/tags/${want}^{}` || name === `${want}^{}`) ??
    lines.find(([, name]) => name === want || name === `refs/heads/${want}` || name === `refs/tags/${want}`) ??
    lines[0];
  if (!pick) throw new GitFetchError(`no ref ${want} in ${url}`);
  return pick[0];
}

/**
 * Fetches `ref` of `url` into the empty dir `dir` and checks it out, submodules included unless `submodules` is
 * false; `.git` is removed unless `keepGitDir`. Returns the commit checked out.
 */
export async function checkoutGit(
  url: string,
  ref: string | undefined,
  dir: string,
  options: { keepGitDir?: boolean; submodules?: boolean; signal?: AbortSignal } = {},
): Promise<string> {
  const s = options.signal;
  const isCommit = ref !== undefined && COMMIT.test(ref);
  await git(["init", "-q"], dir, s);
  await git(["remote", "add", "origin", url], dir, s);
  try {
    await git(["fetch", "-q", "--depth", "1", "--no-tags", "origin", ref ?? "HEAD"], dir, s);
  } catch {
    // Git's dumb HTTP protocol cannot fetch shallow, and a commit that is not a branch or tag tip can only be
    // fetched by id where the server allows it: with the whole history both work.
    await git(["fetch", "-q", ...(isCommit ? ["--tags", "origin"] : ["--no-tags", "origin", ref ?? "HEAD"])], dir, s);
  }
  await git(["-c", "advice.detachedHead=false", "checkout", "-q", isCommit ? ref : "FETCH_HEAD"], dir, s);
  const commit = (await git(["rev-parse", "HEAD"], dir, s)).trim();
  const hasModules = await Deno.stat(join(dir, ".gitmodules")).then(() => true, () => false);
  if (hasModules && options.submodules !== false) {
    await git(["submodule", "update", "-q", "--init", "--recursive", "--depth", "1"], dir, s);
  }
  if (!options.keepGitDir) await Deno.remove(join(dir, ".git"), { recursive: true });
  return commit;
}

/**
 * Checkouts kept in the store by commit (`<store>/git-sources/<commit>[-git]`), and each (url, ref) resolved once
 * per instance (one build), so a step's key and its copy see the same commit.
 */
export class GitSources {
  #root: string;
  #resolved = new Map<string, Promise<string>>();
  #checkouts = new Map<string, Promise<string>>();

  constructor(storeRoot: string) {
    this.#root = `${storeRoot}/git-sources`;
  }

  /** The commit `ref` of `url` names in this build. */
  commit(url: string, ref: string | undefined, signal?: AbortSignal): Promise<string> {
    const k = `${url}#${ref ?? ""}`;
    let p = this.#resolved.get(k);
    if (!p) this.#resolved.set(k, p = resolveGitRef(url, ref, signal));
    return p;
  }

  /** A read-only checkout of that commit (with `.git` when asked, without submodules when `submodules` is false). */
  checkout(
    url: string,
    ref: string | undefined,
    opts: { keepGitDir?: boolean; submodules?: boolean; signal?: AbortSignal } = {},
  ): Promise<string> {
    const { keepGitDir = false, submodules = true, signal } = opts;
    const k = `${url}#${ref ?? ""}#${keepGitDir}#${submodules}`;
    let p = this.#checkouts.get(k);
    if (!p) this.#checkouts.set(k, p = this.#checkout(url, ref, keepGitDir, submodules, signal));
    return p;
  }

  async #checkout(
    url: string,
    ref: string | undefined,
    keepGitDir: boolean,
    submodules: boolean,
    signal?: AbortSignal,
  ): Promise<string> {
    const commit = await this.commit(url, ref, signal);
    const suffix = `${keepGitDir ? "-git" : ""}${submodules ? "" : "-nosub"}`;
    const dir = `${this.#root}/${commit}${suffix}`;
    if (await Deno.stat(dir).then(() => true, () => false)) return dir;
    await Deno.mkdir(this.#root, { recursive: true });
    // Checked out beside its final name and renamed: a concurrent build or a kill never leaves half a tree.
    const tmp = await Deno.makeTempDir({ dir: this.#root, prefix: ".tmp-" });
    try {
      // A short commit id resolves to itself; the checkout names the full one.
      const full = await checkoutGit(url, COMMIT.test(commit) && commit.length === 40 ? commit : ref, tmp, {
        keepGitDir,
        submodules,
        signal,
      });
      const final = `${this.#root}/${full}${suffix}`;
      await Deno.rename(tmp, final).catch(async (e) => {
        // Another build got there first: theirs is the same commit.
        if (!(await Deno.stat(final).then(() => true, () => false))) throw e;
        await Deno.remove(tmp, { recursive: true });
      });
      return final;
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw e;
    }
  }
}
