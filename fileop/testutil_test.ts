// Shared helpers of this folder's tests (named *_test.ts so it is never shipped; it holds no tests itself).
import type { FileAction } from "../graph/types.ts";
import { resolveUser } from "../executor/mod.ts";
import { applyFileActions } from "./apply.ts";

export type CopyAction = Extract<FileAction, { action: "copy" }>;

/** A COPY action with Dockerfile COPY's defaults. */
export function copy(src: string[], dest: string, over: Partial<CopyAction> = {}): CopyAction {
  return {
    action: "copy",
    from: 0,
    src,
    dest,
    copyDirContents: true,
    destIsDir: dest.endsWith("/"),
    extractArchives: false,
    allowWildcard: true,
    allowEmptyWildcard: false,
    followSymlinks: true,
    excludes: [],
    parents: false,
    createDestPath: true,
    ...over,
  };
}

/** Writes a tree: keys are relative paths, a value ending in `/` is a dir, `->x` a symlink, else file content. */
export async function tree(root: string, spec: Record<string, string>): Promise<void> {
  for (const [rel, v] of Object.entries(spec)) {
    const p = `${root}/${rel}`;
    await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
    if (v.endsWith("/") && v.length === 1) await Deno.mkdir(p, { recursive: true });
    else if (v.startsWith("->")) await Deno.symlink(v.slice(2), p);
    else await Deno.writeTextFile(p, v);
  }
}

/** Lists a tree as sorted `path` / `path/` / `path -> target` lines. */
export function list(root: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of [...Deno.readDirSync(`${root}/${rel}`)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isSymlink) out.push(`${p} -> ${Deno.readLinkSync(`${root}/${p}`)}`);
    else if (e.isDirectory) out.push(`${p}/`, ...list(root, p));
    else out.push(p);
  }
  return out;
}

/** A destination rootfs with /etc/passwd and /etc/group for name resolution. */
export async function destRootfs(): Promise<string> {
  const d = await Deno.makeTempDir({ prefix: "tsbuild-fileop-dest-" });
  await tree(d, {
    "etc/passwd":
      "root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\napp:x:1234:4321::/home/app:/bin/sh\n",
    "etc/group": "root:x:0:\nbin:x:1:\nappgrp:x:4321:\nstaff:x:50:\n",
  });
  return d;
}

/** Applies actions reading vertex 0 from `src` (with `excludes`), resolving users in `dest` with the executor's resolver. */
export function apply(dest: string, src: string, actions: FileAction[], excludes: string[] = []): Promise<void> {
  return applyFileActions(dest, actions, { resolve: () => ({ root: src, excludes }) }, {
    resolveUser: (spec) => resolveUser(dest, spec),
  });
}
