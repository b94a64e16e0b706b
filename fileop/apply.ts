/**
 * Applying a file vertex's actions in order to a mounted destination rootfs.
 * @module
 */
import { type Chown, copyAction, type FileAction } from "../graph/types.ts";
import { ContextFilter, globToRegExp, hasGlob, resolveInRoot } from "../context/mod.ts";
import { type ModeFn, parseChmod } from "./chmod.ts";
import { applyCopy } from "./copy.ts";
import type { CopyRecord } from "./copy_record.ts";
import { FileOpError } from "./errors.ts";
import { UserNotFoundError } from "../executor/mod.ts";
import { applyHttp } from "./http.ts";
import { clearForWrite, lstatOrNull, mkdirAllInRoot, type Owner, setMeta } from "./meta.ts";

/** Where a copy's `from` vertex lives on the host. */
export interface FileOpSources {
  /** Host dir holding vertex `from`'s files (a mounted rootfs, or the context dir) and its excludes. */
  resolve(from: number): { root: string; excludes: string[]; preserveOwner?: boolean };
}

/** What applying file actions needs besides the actions. */
export interface FileOpOptions {
  /** User/group name resolution against the destination rootfs (executor's `resolveUser`, bound to it). */
  resolveUser(spec: string): Promise<{ uid: number; gid: number }>;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Filled by the copy actions with what went where (see copy_record.ts). */
  record?: CopyRecord;
  /** A checkout of an `ADD <git url>` source (see git_sources.ts): the dir holding the repository's tree. */
  gitCheckout?(a: GitAction): Promise<string>;
}

type GitAction = Extract<FileAction, { action: "git" }>;

/** Applies `actions` in order to `destRoot`; every write stays inside it. Throws FileOpError on user errors. */
export async function applyFileActions(
  destRoot: string,
  actions: FileAction[],
  sources: FileOpSources,
  opts: FileOpOptions,
): Promise<void> {
  for (const a of actions) {
    opts.signal?.throwIfAborted();
    switch (a.action) {
      case "copy": {
        const { root, excludes, preserveOwner } = sources.resolve(a.from);
        await applyCopy(a, {
          destRoot,
          srcRoot: root,
          filter: new ContextFilter(excludes),
          owner: await owner(a.chown, opts),
          chowned: a.chown !== undefined,
          preserveOwner: !!preserveOwner && a.chown === undefined,
          chmod: chmodOf(a.chmod),
          what: a.extractArchives ? "ADD" : "COPY",
          record: opts.record,
        });
        break;
      }
      case "http":
        await applyHttp(a, destRoot, await owner(a.chown, opts), chmodOf(a.chmod), opts);
        break;
      case "git": {
        if (!opts.gitCheckout) throw new FileOpError(`ADD failed: no git source for ${a.url}`);
        const root = await opts.gitCheckout(a);
        const sub = a.subdir ?? ".";
        if (!lstatOrNull(resolveInRoot(root, sub, false))?.isDirectory) {
          throw new FileOpError(`ADD failed: no directory ${sub} in git repository ${a.url}${a.ref ? `#${a.ref}` : ""}`);
        }
        // The tree goes into the destination as a directory's contents, owned by root or --chown.
        await applyCopy(copyAction(0, [sub], a.dest.endsWith("/") ? a.dest : `${a.dest}/`, {
          destIsDir: true,
          followSymlinks: false,
          createDestPath: true,
        }), {
          destRoot,
          srcRoot: root,
          filter: new ContextFilter([]),
          owner: await owner(a.chown, opts),
          chowned: a.chown !== undefined,
          preserveOwner: false,
          chmod: chmodOf(a.chmod),
          what: "ADD",
        });
        break;
      }
      case "mkdir":
        mkdir(destRoot, a, await owner(a.chown, opts));
        break;
      case "mkfile": {
        const o = await owner(a.chown, opts);
        const parent = a.path.slice(0, a.path.lastIndexOf("/")) || "/";
        mkdirAllInRoot(destRoot, parent, 0o755, o, "COPY");
        const host = resolveInRoot(destRoot, a.path, false);
        clearForWrite(host, "COPY", a.path);
        Deno.writeTextFileSync(host, a.data, { mode: a.mode & 0o777 });
        setMeta(host, o, a.mode, null, false);
        break;
      }
      case "rm":
        rm(destRoot, a);
        break;
    }
  }
}

function chmodOf(spec: string | undefined): ModeFn | null {
  return spec ? parseChmod(spec) : null;
}

/**
 * `--chown=user[:group]` (and WORKDIR's USER) resolved as BuildKit's file operations do (dockerd 20.10 and current,
 * llbsolver/file readUser), which differs from what runc does for RUN: a numeric user is uid = gid = N; a named user
 * takes its passwd uid and primary gid, and a name with no entry is 0:0, not an error; a group (name or number)
 * then sets the gid, a group name with no entry keeping the user's.
 */
async function owner(chown: Chown | undefined, opts: FileOpOptions): Promise<Owner> {
  if (!chown) return { uid: 0, gid: 0 };
  const numeric = (s: string) => /^\d+$/.test(s) ? Number(s) : undefined;
  const lookup = async (spec: string): Promise<{ uid: number; gid: number } | undefined> => {
    try {
      return await opts.resolveUser(spec);
    } catch (e) {
      if (e instanceof UserNotFoundError) return undefined;
      const shown = chown.group ? `${chown.user}:${chown.group}` : chown.user;
      throw new FileOpError(`unable to convert --chown=${shown} to ids: ${(e as Error).message}`, { cause: e });
    }
  };
  const o: Owner = { uid: 0, gid: 0 };
  const uid = numeric(chown.user);
  if (uid !== undefined) o.uid = o.gid = uid;
  else {
    const u = await lookup(chown.user);
    if (u) [o.uid, o.gid] = [u.uid, u.gid];
  }
  if (chown.group !== undefined && chown.group !== "") {
    const gid = numeric(chown.group);
    if (gid !== undefined) o.gid = gid;
    else {
      const g = await lookup(`0:${chown.group}`);
      if (g) o.gid = g.gid;
    }
  }
  return o;
}

function mkdir(destRoot: string, a: Extract<FileAction, { action: "mkdir" }>, o: Owner): void {
  const host = resolveInRoot(destRoot, a.path, true);
  const st = lstatOrNull(host);
  if (st) {
    if (!st.isDirectory) throw new FileOpError(`mkdir ${a.path}: not a directory`);
    if (!a.makeParents) throw new FileOpError(`mkdir ${a.path}: file exists`);
    return;
  }
  if (a.makeParents) {
    mkdirAllInRoot(destRoot, a.path, a.mode, o, "mkdir");
    return;
  }
  const parent = a.path.replace(/\/+$/, "").slice(0, a.path.replace(/\/+$/, "").lastIndexOf("/")) || "/";
  if (!lstatOrNull(resolveInRoot(destRoot, parent, true))) {
    throw new FileOpError(`mkdir ${a.path}: parent directory ${parent} does not exist`);
  }
  Deno.mkdirSync(host);
  setMeta(host, o, a.mode, null, false);
}

function rm(destRoot: string, a: Extract<FileAction, { action: "rm" }>): void {
  const targets: string[] = [];
  if (a.allowWildcard && hasGlob(a.path)) {
    const dir = a.path.slice(0, a.path.lastIndexOf("/")) || "/";
    const re = globToRegExp(a.path.slice(a.path.lastIndexOf("/") + 1));
    try {
      for (const e of Deno.readDirSync(resolveInRoot(destRoot, dir, true))) {
        if (re.test(e.name)) targets.push(resolveInRoot(destRoot, `${dir}/${e.name}`, false));
      }
    } catch { /* parent missing: nothing matches */ }
  } else if (lstatOrNull(resolveInRoot(destRoot, a.path, false))) {
    targets.push(resolveInRoot(destRoot, a.path, false));
  }
  if (targets.length === 0 && !a.allowNotFound) throw new FileOpError(`rm ${a.path}: no such file or directory`);
  for (const t of targets) Deno.removeSync(t, { recursive: true });
}
