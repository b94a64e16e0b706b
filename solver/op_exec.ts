import { join } from "node:path";
import type { ExecVertex, VertexId } from "../graph/mod.ts";
import type { RunMount } from "../executor/mod.ts";
import type { LayerDescriptor, MountedSnapshot } from "../snapshotter/mod.ts";
import { TsbuildError } from "../errors.ts";
import { BuildCancelledError, RunFailedError } from "./errors.ts";
import type { FsResult, Solver, SolverDeps, VertexResult } from "./solver.ts";
import { materializeLocal } from "./op_file.ts";

/** A required secret that was not given with `--secret`. */
export class MissingSecretError extends TsbuildError {}

/** A required SSH mount whose id was not given with `--ssh`. */
export class MissingSshError extends TsbuildError {}

/**
 * One RUN: a writable snapshot on the input, the step's mounts resolved to host paths, runc, then the diff
 * committed as a layer. Everything mounted for the step is released on every path out.
 */
export async function runExec(
  solver: Solver,
  deps: SolverDeps,
  v: ExecVertex,
  input: FsResult,
  sources: Map<VertexId, VertexResult>,
  stepId: number,
): Promise<{ layer?: LayerDescriptor }> {
  const parent = await deps.layers.unpack(input.layers, (l) => deps.images.ensureBlob(l));
  const cleanups: (() => Promise<void>)[] = [];
  let active: MountedSnapshot | undefined;
  try {
    active = await deps.layers.prepareMounted(parent);
    const env = [...v.env];
    const mounts: RunMount[] = [];
    let sshCount = 0;
    for (const m of v.mounts) {
      switch (m.type) {
        case "bind": {
          const src = m.from !== undefined ? sources.get(m.from) : undefined;
          if (!src) throw new TsbuildError(`RUN --mount=type=bind,target=${m.target}: no source`);
          if (src.kind === "local") {
            const local = await materializeLocal(deps, src, m.source || ".");
            cleanups.push(() => Deno.remove(local.dir, { recursive: true }));
            mounts.push({ type: "bind", source: local.path, target: m.target, readonly: m.readonly });
            break;
          }
          const name = await deps.layers.unpack(src.layers, (l) => deps.images.ensureBlob(l));
          const snap = m.readonly ? await deps.layers.viewMounted(name) : await deps.layers.prepareMounted(name);
          cleanups.push(() => snap.release());
          mounts.push({ type: "bind", source: join(snap.rootfs, m.source || "/"), target: m.target, readonly: m.readonly });
          break;
        }
        case "cache": {
          const src = m.from !== undefined ? sources.get(m.from) : undefined;
          // BuildKit's from=/source=: a cache created for the first time starts as a copy of that directory.
          const seed = src
            ? async () => {
              if (src.kind === "local") {
                const local = await materializeLocal(deps, src, m.source || ".");
                return { path: local.path, release: () => Deno.remove(local.dir, { recursive: true }) };
              }
              const view = await deps.layers.viewMounted(await deps.layers.unpack(src.layers, (l) => deps.images.ensureBlob(l)));
              return { path: join(view.rootfs, m.source || "/"), release: () => view.release() };
            }
            : undefined;
          const lease = await deps.cacheMounts.acquire({ id: m.id, sharing: m.sharing, mode: m.mode, uid: m.uid, gid: m.gid, seed });
          cleanups.push(() => lease.release());
          mounts.push({ type: "bind", source: lease.path, target: m.target, readonly: m.readonly });
          break;
        }
        case "tmpfs":
          mounts.push({ type: "tmpfs", target: m.target, size: m.size });
          break;
        case "secret": {
          const data = deps.secrets.get(m.id);
          if (!data) {
            if (m.required) throw new MissingSecretError(`secret ${m.id} is required but was not given: pass --secret id=${m.id},src=PATH`);
            break;
          }
          if (m.env) env.push(`${m.env}=${new TextDecoder().decode(data)}`);
          if (m.target || !m.env) {
            mounts.push({ type: "file", target: m.target ?? `/run/secrets/${m.id}`, data, mode: m.mode, uid: m.uid, gid: m.gid });
          }
          break;
        }
        case "ssh": {
          const target = m.target ?? `/run/buildkit/ssh_agent.${sshCount}`;
          sshCount++;
          const agent = deps.sshAgents?.get(m.id);
          if (!agent) {
            if (m.required) {
              throw new MissingSshError(
                `RUN --mount=type=ssh,id=${m.id}: no SSH agent or key was given for id "${m.id}": pass --ssh ${m.id}` +
                  ` (forwards $SSH_AUTH_SOCK) or --ssh ${m.id}=KEYFILE`,
              );
            }
            break;
          }
          // A socket of its own per mount, so this RUN's uid/gid/mode apply to it alone; it lives outside the rootfs.
          const sock = await agent.listen({ uid: m.uid, gid: m.gid, mode: m.mode });
          cleanups.push(() => sock.close());
          mounts.push({ type: "bind", source: sock.path, target, readonly: true });
          // As BuildKit: the first ssh mount is the default agent, unless the step set SSH_AUTH_SOCK itself.
          if (!env.some((e) => e.startsWith("SSH_AUTH_SOCK="))) env.push(`SSH_AUTH_SOCK=${target}`);
          break;
        }
      }
    }
    const tail: string[] = [];
    let partial = "";
    const dec = new TextDecoder();
    const keepTail = (chunk: Uint8Array) => {
      const lines = (partial + dec.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      tail.push(...lines);
      if (tail.length > 10) tail.splice(0, tail.length - 10);
    };
    const res = await deps.executor.run({
      rootfs: active.rootfs,
      args: v.args,
      env,
      cwd: v.cwd || "/",
      user: v.user || "root",
      network: runNetwork(v, deps),
      extraHosts: deps.extraHosts,
      mounts,
      security: v.security,
      ulimits: deps.ulimits,
      shmSize: deps.shmSize,
      stdout: (c) => {
        keepTail(c);
        deps.progress.emit({ type: "step.log", id: stepId, stream: "stdout", data: c, time: performance.now() });
      },
      stderr: (c) => {
        keepTail(c);
        deps.progress.emit({ type: "step.log", id: stepId, stream: "stderr", data: c, time: performance.now() });
      },
      signal: solver.signal,
    });
    if (solver.signal.aborted) throw new BuildCancelledError();
    if (res.exitCode !== 0) {
      if (partial) tail.push(partial);
      throw new RunFailedError(v.location, v.args.join(" "), res.exitCode, tail, deps.dockerfileSource);
    }
    for (const c of cleanups.splice(0).reverse()) await c();
    const committed = await deps.layers.commit(active, { sourceDateEpoch: deps.sourceDateEpoch });
    active = undefined;
    return committed.empty ? {} : { layer: committed.layer };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    if (active) await active.release().catch(() => {});
  }
}

/** The network a RUN gets: its own `--network`, else the build's `--network`, else `default`. */
export function runNetwork(v: ExecVertex, deps: Pick<SolverDeps, "network">): ExecVertex["network"] {
  return v.network === "default" ? deps.network ?? "default" : v.network;
}
