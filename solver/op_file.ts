import { basename, join } from "node:path";
import { copyAction, type FileVertex, type VertexId } from "../graph/mod.ts";
import type { LayerDescriptor, MountedSnapshot } from "../snapshotter/mod.ts";
import { applyFileActions, newCopyRecord } from "../fileop/mod.ts";
import { copyIncrementally, incrementalCandidate, rememberCopy } from "./incremental_copy.ts";
import { resolveUser } from "../executor/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { FsResult, LocalResult, Solver, SolverDeps, VertexResult } from "./solver.ts";

/**
 * COPY, ADD, WORKDIR's mkdir: a writable snapshot on the input, sources mounted read-only (stages) or read from
 * the context through its filter, then the diff committed as a layer.
 */
export async function runFileOp(
  solver: Solver,
  deps: SolverDeps,
  v: FileVertex,
  input: FsResult,
  sources: Map<VertexId, VertexResult>,
): Promise<{ layer?: LayerDescriptor }> {
  const parent = await deps.layers.unpack(input.layers, (l) => deps.images.ensureBlob(l));
  const candidate = incrementalCandidate(v.actions, (from) => sources.get(from));
  const selection = candidate && await candidate.local.hasher.selection(candidate.action.src, {
    followPaths: candidate.action.followSymlinks,
  });
  if (candidate) {
    const done = await copyIncrementally(deps.layers, deps.storeRoot, parent, candidate, {
      sourceDateEpoch: deps.sourceDateEpoch,
      signal: solver.signal,
    });
    if (done) return done;
  }
  const record = candidate ? newCopyRecord() : undefined;
  const views: MountedSnapshot[] = [];
  let active: MountedSnapshot | undefined;
  try {
    const roots = new Map<VertexId, { root: string; excludes: string[]; preserveOwner?: boolean }>();
    for (const [id, src] of sources) {
      if (src.kind === "local") {
        roots.set(id, { root: src.path, excludes: src.excludes });
      } else {
        const name = await deps.layers.unpack(src.layers, (l) => deps.images.ensureBlob(l));
        const view = await deps.layers.viewMounted(name);
        views.push(view);
        roots.set(id, { root: view.rootfs, excludes: [], preserveOwner: true });
      }
    }
    active = await deps.layers.prepareMounted(parent);
    const dest = active.rootfs;
    await applyFileActions(dest, v.actions, {
      resolve(from: number) {
        const r = roots.get(from);
        if (!r) throw new TsbuildError(`internal: source vertex ${from} not prepared`);
        return r;
      },
    }, {
      resolveUser: (spec: string) => resolveUser(dest, spec),
      signal: solver.signal,
      record,
      // ADD <url> writes the body its key was computed from.
      fetch: deps.httpSources?.fetch,
      gitCheckout: deps.gitSources &&
        ((a) =>
          deps.gitSources!.checkout(a.url, a.ref, {
            keepGitDir: a.keepGitDir,
            submodules: a.submodules !== false,
            signal: solver.signal,
          })),
    });
    for (const view of views.splice(0)) await view.release();
    const committed = await deps.layers.commit(active, { sourceDateEpoch: deps.sourceDateEpoch });
    active = undefined;
    if (candidate && selection && record && !committed.empty) {
      await rememberCopy(
        deps.layers,
        deps.storeRoot,
        committed.name,
        committed.layer.diffID,
        parent,
        candidate,
        selection,
        record,
      );
    }
    return committed.empty ? {} : { layer: committed.layer };
  } finally {
    for (const view of views) await view.release().catch(() => {});
    if (active) await active.release().catch(() => {});
  }
}

/**
 * A private, filtered copy of part of a local context, for `RUN --mount=type=bind` from the context: excluded files
 * must stay invisible and a read-write mount must never touch the user's files.
 */
export async function materializeLocal(
  deps: SolverDeps,
  src: LocalResult,
  source: string,
): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ dir: `${deps.storeRoot}/tmp`, prefix: "bind-" }).catch(async () => {
    await Deno.mkdir(`${deps.storeRoot}/tmp`, { recursive: true });
    return Deno.makeTempDir({ dir: `${deps.storeRoot}/tmp`, prefix: "bind-" });
  });
  await applyFileActions(dir, [copyAction(0, [source], "/", { followSymlinks: true })], {
    resolve: () => ({ root: src.path, excludes: src.excludes }),
  }, {
    resolveUser: () => Promise.resolve({ uid: 0, gid: 0 }),
  });
  // A single file is mounted as that file, not as a directory holding it.
  const st = await Deno.stat(join(src.path, source)).catch(() => undefined);
  return { dir, path: st?.isFile ? join(dir, basename(source)) : dir };
}
