import type { ExecVertex, FileVertex, Graph, SourceLocation, Vertex, VertexId } from "../graph/mod.ts";
import { isUncompressed } from "../snapshotter/mod.ts";
import { checkEntitlements } from "./entitlements.ts";
import { ContextHasher } from "../context/mod.ts";
import { cacheKey } from "./cache_key.ts";
import type { CacheRecord } from "./cache_store.ts";
import { BuildCancelledError, RunFailedError, StepFailedError } from "./errors.ts";
import { RunAbortedError } from "../executor/mod.ts";
import { Semaphore } from "./semaphore.ts";
import { runExec } from "./op_exec.ts";
import { runFileOp } from "./op_file.ts";
import { stepNames } from "./step_names.ts";
import { definition, dependencies, execExtras, stepInputs } from "./step_inputs.ts";
import { explainMiss } from "./explain.ts";
import { TsbuildError } from "../errors.ts";

export type { FsResult, LocalResult, SolverDeps, VertexResult } from "./types.ts";
import type { FsResult, LocalResult, SolverDeps, VertexResult } from "./types.ts";

/** A vertex's cache key and, for steps, the named inputs it covers (what `--explain` compares). */
interface StepKey {
  key: string;
  inputs: Record<string, string>;
  /** The base image a filesystem state is (`--explain` names it). */
  label?: string;
  /** A local source, whose hasher keys the steps that read it. */
  local?: LocalResult;
}

/**
 * Walks the graph from the target stage: every reachable vertex is solved once, independent vertices concurrently;
 * each step's cache key covers its definition and its inputs' keys (and for COPY the content of exactly the files
 * it selects), so a hit is never wrong and an unrelated change never causes a miss. The first failure cancels the
 * siblings and is the one reported.
 */
export class Solver {
  #deps: SolverDeps;
  #graph: Graph;
  #memo = new Map<VertexId, Promise<VertexResult>>();
  #sem: Semaphore;
  #names: Map<VertexId, string>;
  #stageOf: Map<VertexId, number>;
  #abort = new AbortController();
  #firstError: unknown;
  #stepIds = new Map<VertexId, number>();
  #counter: { next: number };
  #keys = new Map<VertexId, Promise<StepKey>>();
  #hits = new Map<VertexId, Promise<CacheRecord | undefined>>();

  constructor(graph: Graph, deps: SolverDeps) {
    this.#graph = graph;
    this.#deps = deps;
    this.#sem = new Semaphore(deps.maxParallelism);
    this.#counter = deps.stepCounter ?? { next: 1 };
    const { names, stageOf } = stepNames(graph, deps.platformLabel);
    this.#names = names;
    this.#stageOf = stageOf;
    deps.signal.addEventListener("abort", () => this.#abort.abort(), { once: true });
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Solves one vertex (and, first, its inputs). */
  solve(id: VertexId): Promise<VertexResult> {
    let p = this.#memo.get(id);
    if (!p) {
      p = this.#solve(id).catch((e) => {
        if (this.#firstError === undefined && !this.#abort.signal.aborted) {
          this.#firstError = e;
          this.#abort.abort();
        }
        throw this.#firstError ?? e;
      });
      this.#memo.set(id, p);
    }
    return p;
  }

  /** Solves the target stage's root; rejects with the first cause of failure. */
  async solveTarget(): Promise<Map<VertexId, VertexResult>> {
    const stage = this.#graph.stages[this.#graph.target];
    try {
      // Keys first (they depend on definitions and context files, never on what a step makes): a step that misses
      // but whose result only hits need is never run, as BuildKit skips what a cache hit makes unnecessary (the
      // build stage behind a cached COPY --from, with an imported mode=min cache).
      const reachable = [...this.#reachable(stage.root)];
      checkEntitlements(reachable.map((id) => this.#graph.vertices[id]), this.#deps);
      await Promise.all(reachable.map((id) => this.#keyOf(id)));
      const needed = await this.#needed(stage.root, reachable);
      // Start every vertex that is needed or a hit now: a step waits only for its own inputs, so independent
      // branches (stages joined late by COPY --from) run side by side instead of in the order they are first needed.
      const started: Promise<VertexResult>[] = [];
      // In definition order (inputs have lower ids), so hits are reported in the order the steps are written.
      for (const id of reachable.sort((a, b) => a - b)) {
        if (needed.has(id) || await this.#probe(id)) started.push(this.solve(id));
      }
      try {
        await this.solve(stage.root);
      } finally {
        // On failure the siblings are being cancelled: wait until their containers and mounts are gone.
        await Promise.allSettled(started);
      }
    } catch (e) {
      throw this.#firstError ?? e;
    }
    if (this.#deps.signal.aborted) throw new BuildCancelledError();
    const out = new Map<VertexId, VertexResult>();
    for (const [id, p] of this.#memo) out.set(id, await p);
    // Persist the context stat caches so the next build re-reads only files that changed.
    for (const r of out.values()) if (r.kind === "local") await r.hasher.save();
    return out;
  }

  /** Vertices `root` depends on, itself included. */
  #reachable(root: VertexId): Set<VertexId> {
    const seen = new Set<VertexId>();
    const stack = [root];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const v = this.#graph.vertices[id];
      if (v.kind === "exec" || v.kind === "file") {
        if (v.input !== null) stack.push(v.input);
        stack.push(...dependencies(v));
      } else if (v.kind === "merge") stack.push(...v.inputs);
    }
    return seen;
  }

  /**
   * Vertices whose results the build needs: the target stage's chain (its history needs every step), steps whose
   * stage must not use the cache, and the inputs of every needed step that misses. A hit needs nothing of its inputs.
   */
  async #needed(root: VertexId, reachable: VertexId[]): Promise<Set<VertexId>> {
    const needed = new Set<VertexId>();
    const stack: VertexId[] = [];
    for (let id: VertexId | null = root; id !== null;) {
      stack.push(id);
      const v: Vertex = this.#graph.vertices[id];
      if (v.kind === "merge") stack.push(...v.inputs);
      id = v.kind === "exec" || v.kind === "file" ? v.input : null;
    }
    for (const id of reachable) if (this.#deps.noCacheStages.has(this.#stageOf.get(id) ?? -1)) stack.push(id);
    while (stack.length) {
      const id = stack.pop()!;
      if (needed.has(id)) continue;
      needed.add(id);
      const v = this.#graph.vertices[id];
      if (v.kind === "merge") stack.push(...v.inputs);
      if ((v.kind === "exec" || v.kind === "file") && !(await this.#probe(id))) {
        if (v.input !== null) stack.push(v.input);
        stack.push(...dependencies(v));
      }
    }
    return needed;
  }

  /** A step's key and named inputs, from its inputs' keys: nothing runs to compute them. */
  #keyOf(id: VertexId): Promise<StepKey> {
    let p = this.#keys.get(id);
    if (!p) {
      p = this.#computeKey(id);
      this.#keys.set(id, p);
    }
    return p;
  }

  async #computeKey(id: VertexId): Promise<StepKey> {
    const v = this.#graph.vertices[id];
    if (v.kind !== "exec" && v.kind !== "file") {
      if (v.kind === "merge") {
        return {
          key: cacheKey({ merge: await Promise.all(v.inputs.map(async (i) => (await this.#keyOf(i)).key)) }),
          inputs: {},
        };
      }
      const r = await this.solve(id);
      return {
        key: r.key,
        label: r.kind === "fs" ? r.label : undefined,
        inputs: {},
        local: r.kind === "local" ? r : undefined,
      };
    }
    const deps = dependencies(v);
    const [input, ...solved] = await Promise.all([
      v.input === null ? { key: "scratch", inputs: {} } : this.#keyOf(v.input),
      ...deps.map((d) => this.#keyOf(d)),
    ]);
    // What stepInputs reads of its inputs: keys, the base image label, local sources' hashers.
    const asResult = (k: StepKey): VertexResult =>
      k.local ?? { kind: "fs", key: k.key, label: k.label, layers: [], empty: true, cached: false };
    const sources = new Map<VertexId, VertexResult>(deps.map((d, i) => [d, asResult(solved[i])]));
    const http = this.#deps.httpSources;
    const git = this.#deps.gitSources;
    const inputs = await stepInputs(
      v,
      asResult(input) as FsResult,
      sources,
      http && ((url) => http.digest(url, this.signal)),
      git && ((url, ref) => git.commit(url, ref, this.signal)),
    )
      .catch((e) => {
        throw new StepFailedError(v.location, e, this.#deps.dockerfileSource);
      });
    return {
      key: cacheKey({
        v: 2,
        def: definition(v),
        inputs,
        sde: this.#deps.sourceDateEpoch,
        ...execExtras(v, this.#deps),
      }),
      inputs,
    };
  }

  /** The usable cache record of a step (local, else imported), looked up once per build. */
  #probe(id: VertexId): Promise<CacheRecord | undefined> {
    let p = this.#hits.get(id);
    if (!p) {
      const v = this.#graph.vertices[id];
      const useCache = !this.#deps.noCacheStages.has(this.#stageOf.get(id) ?? -1);
      p = (v.kind === "exec" || v.kind === "file") && useCache
        ? this.#keyOf(id).then((k) => this.#validRecord(k.key))
        : Promise.resolve(undefined);
      this.#hits.set(id, p);
    }
    return p;
  }

  async fsInput(id: VertexId | null): Promise<FsResult> {
    if (id === null) return { kind: "fs", key: "scratch", layers: [], empty: true, cached: true };
    const r = await this.solve(id);
    if (r.kind !== "fs") throw new TsbuildError(`internal: vertex ${id} is not a filesystem`);
    return r;
  }

  async #solve(id: VertexId): Promise<VertexResult> {
    const v = this.#graph.vertices[id];
    if (!v) throw new TsbuildError(`internal: unknown vertex ${id}`);
    switch (v.kind) {
      case "scratch":
        return { kind: "fs", key: "scratch", layers: [], empty: true, cached: true };
      case "image": {
        const pinned = await this.#deps.images.resolve(`${v.ref.split("@")[0]}@${v.digest}`, v.platform);
        const stepId = this.#stepId(id);
        this.#deps.progress.emit({ type: "step.cached", id: stepId, name: this.#name(id, v), time: performance.now() });
        return {
          kind: "fs",
          key: cacheKey({ image: pinned.manifestDigest }),
          layers: pinned.layers,
          empty: false,
          cached: true,
          label: pinned.ref,
        };
      }
      case "local": {
        const hasher = await ContextHasher.open(this.#deps.storeRoot, v.path, v.excludes, {
          persist: !this.#deps.temporaryDirs?.has(v.path),
        });
        return { kind: "local", key: cacheKey({ local: v.name }), path: v.path, excludes: v.excludes, hasher };
      }
      case "exec":
      case "file":
        return await this.#step(id, v);
      case "merge": {
        const parts = await Promise.all(v.inputs.map((i) => this.fsInput(i)));
        const last = parts[parts.length - 1];
        return {
          kind: "fs",
          key: cacheKey({ merge: parts.map((p) => p.key) }),
          layers: parts.flatMap((p) => p.layers),
          empty: last.empty,
          cached: parts.every((p) => p.cached),
          created: last.created,
        };
      }
    }
  }

  async #step(id: VertexId, v: ExecVertex | FileVertex): Promise<FsResult> {
    const { key, inputs } = await this.#keyOf(id);
    const name = this.#name(id, v);
    const identity = cacheKey({ identity: name, stage: this.#stageOf.get(id) });
    const useCache = !this.#deps.noCacheStages.has(this.#stageOf.get(id) ?? -1);
    // A hit needs nothing of its inputs: its record holds the whole layer chain.
    const hit = await this.#probe(id);
    if (hit) {
      // Reported after its input when that is solved too, as a build that runs everything reports it.
      await (v.input !== null ? this.#memo.get(v.input)?.catch(() => {}) : undefined);
      this.#deps.progress.emit({ type: "step.cached", id: this.#stepId(id), name, time: performance.now() });
      return { kind: "fs", key, layers: hit.layers, empty: hit.empty, cached: true, created: hit.created };
    }
    const deps = dependencies(v);
    const [input, ...solved] = await Promise.all([this.fsInput(v.input), ...deps.map((d) => this.solve(d))]);
    const sources = new Map<VertexId, VertexResult>(deps.map((d, i) => [d, solved[i]]));
    if (this.#abort.signal.aborted) throw new BuildCancelledError();
    const stepId = this.#stepId(id);
    const reason = this.#deps.explain
      ? await explainMiss(this.#deps.cache, identity, inputs, useCache, sources)
      : undefined;
    return await this.#sem.run(async () => {
      if (this.#abort.signal.aborted) throw new BuildCancelledError();
      this.#deps.progress.emit({ type: "step.start", id: stepId, name, time: performance.now() });
      if (reason) {
        this.#deps.progress.emit({
          type: "step.log",
          id: stepId,
          stream: "stderr",
          data: new TextEncoder().encode(`cache miss: ${reason}\n`),
          time: performance.now(),
        });
      }
      try {
        const made = v.kind === "exec"
          ? await runExec(this, this.#deps, v, input, sources, stepId)
          : await runFileOp(this, this.#deps, v, input, sources);
        const layers = made.layer ? [...input.layers, made.layer] : input.layers;
        const rec: CacheRecord = { key, layers, empty: !made.layer, inputs, created: new Date().toISOString() };
        await this.#deps.cache.put(rec);
        await this.#deps.cache.setLast(identity, key);
        this.#deps.progress.emit({ type: "step.done", id: stepId, time: performance.now() });
        return { kind: "fs", key, layers, empty: !made.layer, cached: false, created: rec.created };
      } catch (e) {
        const cancelled = this.#abort.signal.aborted && this.#firstError !== undefined;
        const message = e instanceof Error ? e.message.split("\n").at(-1)! : String(e);
        this.#deps.progress.emit({
          type: "step.error",
          id: stepId,
          time: performance.now(),
          message: cancelled ? "cancelled" : message,
        });
        // Every failure names its Dockerfile line with an excerpt, as a failed RUN does (an unknown USER, a
        // missing required secret, a COPY source...); only cancellations and errors that already name it pass as
        // they are.
        if (
          cancelled || e instanceof RunFailedError || e instanceof StepFailedError ||
          e instanceof BuildCancelledError ||
          e instanceof RunAbortedError
        ) throw e;
        throw new StepFailedError(v.location, e, this.#deps.dockerfileSource);
      }
    });
  }

  /**
   * A record is a hit only when every layer blob a build made in its chain is still in the store (base image
   * layers are fetched from their image when needed). A local miss asks the importer (`--cache-from`).
   */
  async #validRecord(key: string): Promise<CacheRecord | undefined> {
    const rec = await this.#deps.cache.get(key);
    if (rec && await this.#blobsPresent(rec)) return rec;
    const imported = await this.#deps.importer?.lookup(key);
    if (!imported || imported.key !== key || !(await this.#blobsPresent(imported))) return undefined;
    await this.#deps.cache.put(imported);
    return imported;
  }

  async #blobsPresent(rec: CacheRecord): Promise<boolean> {
    for (const l of rec.layers) {
      if (isUncompressed(l) && !(await this.#deps.layers.content.has(l.digest))) return false;
    }
    return true;
  }

  #stepId(id: VertexId): number {
    let s = this.#stepIds.get(id);
    if (s === undefined) {
      s = this.#counter.next++;
      this.#stepIds.set(id, s);
    }
    return s;
  }

  #name(id: VertexId, v: Vertex): string {
    return this.#names.get(id) ?? v.kind;
  }

  location(id: VertexId): SourceLocation | undefined {
    const v = this.#graph.vertices[id];
    return v && "location" in v ? v.location : undefined;
  }
}
