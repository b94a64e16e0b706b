/** What a step's cache key covers: its definition and named inputs (what `--explain` compares), computed before it runs. */
import type { ExecVertex, FileVertex, VertexId } from "../graph/mod.ts";
import type { ExtraHost, Ulimit } from "../executor/mod.ts";
import { cacheKey } from "./cache_key.ts";
import { TsbuildError } from "../errors.ts";
import { runNetwork } from "./op_exec.ts";
import type { FsResult, SolverDeps, VertexResult } from "./solver.ts";

/** The vertices a step reads besides its input: COPY --from sources and RUN --mount sources. */
export function dependencies(v: ExecVertex | FileVertex): VertexId[] {
  const out = new Set<VertexId>();
  if (v.kind === "exec") {
    for (const m of v.mounts) if ((m.type === "bind" || m.type === "cache") && m.from !== undefined) out.add(m.from);
  } else {
    for (const a of v.actions) if (a.action === "copy") out.add(a.from);
  }
  return [...out];
}

/** A step's definition without what does not change its result (source locations). */
export function definition(v: ExecVertex | FileVertex): unknown {
  const rest: Record<string, unknown> = { ...v };
  delete rest.location;
  delete rest.input;
  return rest;
}

/** Named inputs of a step: what `--explain` compares between builds. Values are hashes, never secrets. */
export async function stepInputs(
  v: ExecVertex | FileVertex,
  input: FsResult,
  sources: Map<VertexId, VertexResult>,
  /** The digest of a URL's body now (`ADD <url>` without --checksum is keyed on what the URL serves). */
  urlDigest?: (url: string) => Promise<string>,
  /** The commit a git ref names now (`ADD <git url>` is keyed on it, as BuildKit's git source is). */
  gitCommit?: (url: string, ref: string | undefined) => Promise<string>,
): Promise<Record<string, string>> {
  const inputs: Record<string, string> = input.label ? { "base image": input.label } : { "previous step": input.key };
  if (v.kind === "exec") {
    inputs["command"] = cacheKey(v.args);
    for (const e of v.env) {
      const i = e.indexOf("=");
      inputs[`env ${e.slice(0, i)}`] = cacheKey(e.slice(i + 1));
    }
    inputs["options"] = cacheKey({
      cwd: v.cwd,
      user: v.user,
      network: v.network,
      security: v.security,
      mounts: v.mounts,
    });
    for (const m of v.mounts) {
      if ((m.type === "bind" || m.type === "cache") && m.from !== undefined) {
        const src = sources.get(m.from)!;
        inputs[`mount ${m.target}`] = src.kind === "local" ? await src.hasher.hashSources([m.source || "."]) : src.key;
      }
    }
  } else {
    inputs["operation"] = cacheKey(v.actions);
    v.actions.forEach((a, i) => {
      if (a.action !== "copy") return;
      const src = sources.get(a.from)!;
      if (src.kind !== "local") inputs[`source ${i} (stage)`] = src.key;
    });
    for (const a of v.actions) {
      // With --checksum the content is pinned by the definition already.
      if (a.action === "http" && !a.checksum && urlDigest) inputs[`url ${a.url}`] = await urlDigest(a.url);
      if (a.action === "git" && gitCommit) {
        const commit = await gitCommit(a.url, a.ref);
        if (a.checksum && !commit.startsWith(a.checksum)) {
          throw new TsbuildError(
            `ADD failed: ${a.url}#${a.ref ?? "HEAD"} is commit ${commit}, not --checksum=${a.checksum}`,
          );
        }
        inputs[`git ${a.url}#${a.ref ?? "HEAD"}`] = commit;
      }
    }
    for (const [i, a] of v.actions.entries()) {
      if (a.action !== "copy") continue;
      const src = sources.get(a.from)!;
      if (src.kind === "local") {
        inputs[`files ${a.src.join(" ")}${v.actions.length > 1 ? ` #${i}` : ""}`] = await src.hasher.hashSources(
          a.src,
          {
            // What the copy reads: a source that is itself a symlink is followed (COPY's default) and its target's content
            // must be in the key, or a change to the target would be a wrong hit.
            followPaths: a.followSymlinks,
          },
        );
      }
    }
  }
  return inputs;
}

/** The build-wide RUN settings that change what a RUN sees; present in a key only when set, so plain keys stay put. */
export function execExtras(
  v: ExecVertex | FileVertex,
  deps: SolverDeps,
): { net?: string; hosts?: ExtraHost[]; ulimits?: Ulimit[]; shm?: number } {
  if (v.kind !== "exec") return {};
  const out: { net?: string; hosts?: ExtraHost[]; ulimits?: Ulimit[]; shm?: number } = {};
  const net = runNetwork(v, deps);
  if (net !== v.network) out.net = net;
  if (deps.extraHosts?.length) out.hosts = deps.extraHosts;
  if (deps.ulimits?.length) out.ulimits = deps.ulimits;
  if (deps.shmSize !== undefined) out.shm = deps.shmSize;
  return out;
}
