/** COPY and ADD: one FileVertex whose actions copy local/stage paths, fetch URLs, and write heredocs. */
import * as posix from "./path.ts";
import type { FileAction, VertexId } from "../../graph/mod.ts";
import { type CopyInstruction, DockerfileError, isValidChmod } from "../instructions/mod.ts";
import { ShellLex } from "../shell/mod.ts";
import { type DispatchContext, expandWord } from "./context.ts";
import { expansionEnv, type StageState } from "./state.ts";
import { chownOf, commit } from "./dispatch.ts";
import { type GitSpec, GitUrlError, isGitRemote, parseGitUrl } from "../../fileop/git_sources.ts";

const HEREDOC_WORD = /^<<-?(["']?)([^"'\s]+)\1$/;
const URL_WORD = /^https?:\/\//i;

/** A git source's parts; a URL that cannot be read fails at its line. */
function gitSpec(src: string, fail: (m: string) => never): GitSpec {
  try {
    return parseGitUrl(src);
  } catch (e) {
    if (e instanceof GitUrlError) fail(e.message);
    throw e;
  }
}

/** The destination made absolute against WORKDIR, keeping the trailing `/` that says "this is a directory". */
function resolveDest(raw: string, workdir: string | undefined): { dest: string; destIsDir: boolean } {
  const destIsDir = raw.endsWith("/") || raw === "." || raw === ".." || raw.endsWith("/.") || raw === "";
  let dest = posix.normalize(posix.isAbsolute(raw) ? raw : posix.join(workdir || "/", raw));
  if (destIsDir && !dest.endsWith("/")) dest += "/";
  if (!destIsDir && dest.length > 1 && dest.endsWith("/")) dest = dest.slice(0, -1);
  return { dest, destIsDir };
}

/** Heredoc bodies are expanded like a double-quoted string: variables only, quotes and escapes kept. */
function expandHeredoc(ctx: DispatchContext, body: string, env: Record<string, string>, line: number): string {
  const lex = new ShellLex(ctx.lex.escapeToken);
  lex.rawQuotes = true;
  lex.rawEscapes = true;
  lex.skipProcessQuotes = true;
  return expandWord({ ...ctx, lex }, body, env, line);
}

export async function dispatchCopy(ctx: DispatchContext, state: StageState, inst: CopyInstruction): Promise<void> {
  const line = inst.location.startLine;
  const upper = inst.kind.toUpperCase();
  const fail = (msg: string): never => {
    throw new DockerfileError(ctx.file, line, `${upper}: ${msg}`);
  };
  const env = expansionEnv(state);
  const expand = (w: string) => expandWord(ctx, w, env, line);
  const sources = inst.sources.map((s) => (HEREDOC_WORD.test(s) ? s : expand(s)));
  const rawDest = expand(inst.dest);
  const { dest, destIsDir } = resolveDest(rawDest, state.image.workingDir);
  // Several sources and a destination without a trailing slash is no error in BuildKit (only in Docker's classic
  // builder): each source is copied to that path in turn, so the last one is what stays.
  const chownText = inst.chown !== undefined ? expand(inst.chown) : undefined;
  const chown = chownOf(chownText);
  if (inst.link && chown.chown) {
    // A --link copy lands on an empty filesystem: there is no /etc/passwd or /etc/group to resolve a name in.
    // BuildKit refuses it too (moby/buildkit#7134; before, "invalid user index: -1" at solve time).
    const byName = [chown.chown.user, chown.chown.group].find((n) =>
      n !== undefined && n !== "" && !/^\d+$/.test(n) && n !== "root"
    );
    if (byName !== undefined) {
      fail(
        `--chown=${chownText} names ${
          JSON.stringify(byName)
        }, which cannot be resolved with --link (the copy does not see the stage's /etc/passwd or /etc/group): use numeric ids`,
      );
    }
  }
  const chmod = inst.chmod !== undefined ? expand(inst.chmod) : undefined;
  if (chmod !== undefined && !isValidChmod(chmod)) {
    fail(`invalid --chmod value "${chmod}": expected an octal mode (0755) or a symbolic one (u+x)`);
  }
  const fromName = inst.from !== undefined ? expand(inst.from) : undefined;
  let from: VertexId | undefined;
  if (fromName !== undefined) from = await ctx.resolveFrom(fromName, state, line);

  const actions: FileAction[] = [];
  const local: string[] = [];
  for (const src of sources) {
    const heredoc = HEREDOC_WORD.exec(src);
    if (heredoc) {
      const h = inst.heredocs.find((d) => d.name === heredoc[2]);
      if (!h) fail(`no heredoc body found for ${src}`);
      const data = h!.expand ? expandHeredoc(ctx, h!.content, env, line) : h!.content;
      const mode = chmod !== undefined && /^[0-7]+$/.test(chmod) ? parseInt(chmod, 8) : 0o644;
      actions.push({ action: "mkfile", path: destIsDir ? posix.join(dest, h!.name) : dest, mode, data, ...chown });
    } else if (URL_WORD.test(src) || isGitRemote(src)) {
      if (inst.kind === "copy") fail(`source can't be a URL for COPY: ${src} (use ADD)`);
      if (fromName !== undefined) fail(`--from cannot be used with a URL source (${src})`);
      if (isGitRemote(src)) {
        const spec = gitSpec(src, fail);
        const { url, ref, subdir } = spec;
        if (subdir && (subdir.startsWith("/") || posix.normalize(subdir).startsWith(".."))) {
          fail(`git source ${src}: subdirectory ${subdir} is outside the repository`);
        }
        if (inst.checksum && spec.checksum && inst.checksum !== spec.checksum) {
          fail(`--checksum=${inst.checksum} conflicts with the URL's checksum ${spec.checksum}`);
        }
        const keepGitDir = inst.keepGitDir || spec.keepGitDir === true;
        const action: FileAction = { action: "git", url, keepGitDir, dest, ...chown };
        if (ref) action.ref = ref;
        if (subdir) action.subdir = posix.normalize(subdir);
        const checksum = inst.checksum ?? spec.checksum;
        if (checksum) action.checksum = checksum;
        if (spec.submodules === false) action.submodules = false;
        if (chmod !== undefined) action.chmod = chmod;
        actions.push(action);
        continue;
      }
      const filename = posix.basename(new URL(src).pathname);
      const action: FileAction = { action: "http", url: src, dest, destIsDir, ...chown };
      if (inst.unpack) action.unpack = true;
      if (filename) action.filename = filename;
      if (inst.checksum && !inst.checksum.includes(":")) {
        fail(`invalid --checksum "${inst.checksum}" for a URL source: expected sha256:<hex>`);
      }
      if (inst.checksum) action.checksum = inst.checksum;
      if (chmod !== undefined) action.chmod = chmod;
      actions.push(action);
    } else {
      if (inst.checksum) fail(`--checksum can only be used with a URL source`);
      // `../x` is no error in BuildKit (only in Docker's classic builder): sources are cleaned from the context
      // root, so it names `/x` of the context, as from any other source.
      local.push(src);
    }
  }
  if (local.length > 0) {
    const copy: FileAction = {
      action: "copy",
      from: from ?? ctx.contextVertex(),
      src: local,
      dest,
      ...chown,
      copyDirContents: true,
      destIsDir,
      extractArchives: inst.kind === "add" && inst.unpack !== false,
      allowWildcard: true,
      allowEmptyWildcard: true,
      followSymlinks: true,
      excludes: inst.excludes.map(expand),
      parents: inst.parents,
      createDestPath: true,
    };
    if (chmod !== undefined) copy.chmod = chmod;
    actions.unshift(copy);
  }
  if (inst.link) {
    // --link: the files land on an empty filesystem of their own, then stack on the stage as one more layer.
    const linked = ctx.graph.add({ kind: "file", input: null, actions, location: inst.location });
    state.root = ctx.graph.add({ kind: "merge", inputs: [state.root, linked], location: inst.location });
  } else {
    state.root = ctx.graph.add({ kind: "file", input: state.root, actions, location: inst.location });
  }
  commit(state, `${upper} ${[...sources, rawDest].join(" ")} # buildkit`, state.root);
}
