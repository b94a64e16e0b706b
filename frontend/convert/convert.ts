/**
 * Dockerfile → build graph. Stages are converted on demand starting from the target, so a stage the target never
 * reaches is neither converted nor has its base image resolved (an unreachable broken stage cannot fail a build).
 */
import { copyAction, type Graph, type Stage, type VertexId } from "../../graph/mod.ts";
import { formatPlatform, type ImageConfig, parsePlatform, type Platform } from "../../oci/mod.ts";
import { parseDockerfile } from "../parser/mod.ts";
import { ShellLex } from "../shell/mod.ts";
import {
  type ArgDecl,
  DockerfileError,
  type DockerfileSpec,
  parseDockerfileSpec,
  parseInstruction,
  suggest,
} from "../instructions/mod.ts";
import { type DispatchContext, expandWord } from "./context.ts";
import { dispatch } from "./dispatch.ts";
import { cloneStageImage, stageImageFrom, type StageState, VertexList } from "./state.ts";
import { isImageReference, platformArgs, PROXY_ARGS, undefinedVariables, unusedBuildArgs } from "./args.ts";
import { type Outline, OutlineCapture } from "./outline.ts";
import { StageDeps } from "./stage_deps.ts";

/** A base image as the caller's registry lookup found it. */
export interface ResolvedImage {
  ref: string;
  digest: string;
  config: ImageConfig;
}

/** Everything the conversion depends on; the registry lookup stays with the caller. */
export interface ConvertOptions {
  dockerfile: string;
  dockerfilePath: string;
  buildArgs: Record<string, string>;
  target?: string;
  platform: Platform;
  buildPlatform: Platform;
  labels: Record<string, string>;
  contextPath: string;
  contextExcludes: string[];
  /** `--build-context name=value`: a directory, or `docker-image://ref`. */
  buildContexts?: Record<string, string>;
  resolveImage(ref: string, platform: Platform): Promise<ResolvedImage>;
  warn?(message: string, line?: number): void;
}

/** Parses `opts.dockerfile` and converts the stages the target needs into a {@link Graph}. */
export async function convertDockerfile(opts: ConvertOptions): Promise<Graph> {
  const parsed = parseDockerfile(opts.dockerfile, { file: opts.dockerfilePath });
  for (const w of parsed.warnings) opts.warn?.(w.message, w.line);
  const spec = parseDockerfileSpec(parsed, opts.dockerfilePath);
  return await new Converter(opts, spec).run();
}

/** `--call=outline`: converts as a build would (base images resolved), then tells what the target takes. */
export async function outlineDockerfile(opts: ConvertOptions): Promise<Outline> {
  const parsed = parseDockerfile(opts.dockerfile, { file: opts.dockerfilePath });
  const spec = parseDockerfileSpec(parsed, opts.dockerfilePath);
  const capture = new OutlineCapture(opts.dockerfile, spec);
  const converter = new Converter(opts, spec, capture);
  const graph = await converter.run();
  return capture.outline(graph.stages[graph.target].index, converter.deps);
}

class Converter implements DispatchContext {
  readonly file: string;
  readonly lex: ShellLex;
  readonly graph = new VertexList();
  #opts: ConvertOptions;
  #spec: DockerfileSpec;
  #meta = new Map<string, string | undefined>();
  #consumed = new Set<string>();
  #context?: VertexId;
  #named = new Map<string, VertexId>();
  #images = new Map<string, { vertex: VertexId; config: ImageConfig }>();
  #states = new Map<number, Promise<StageState>>();
  #deps: StageDeps;
  readonly outline?: OutlineCapture;

  constructor(opts: ConvertOptions, spec: DockerfileSpec, outline?: OutlineCapture) {
    this.#opts = opts;
    this.#spec = spec;
    this.outline = outline;
    this.file = opts.dockerfilePath;
    this.lex = new ShellLex(spec.escapeToken);
    this.#deps = new StageDeps(this.file, (i) => this.#stageName(i));
  }

  async run(): Promise<Graph> {
    const targetStage = this.#opts.target?.toLowerCase() || this.#spec.stages.at(-1)?.name || "";
    for (const [k, v] of Object.entries(platformArgs(this.#opts.platform, this.#opts.buildPlatform, targetStage))) {
      this.#meta.set(k, v);
    }
    for (const inst of this.#spec.metaArgs) {
      for (const decl of inst.args) {
        const dflt = decl.value === undefined
          ? this.#meta.get(decl.key)
          : expandWord(this, decl.value, this.#metaEnv(), inst.location.startLine);
        const given = this.#buildArg(decl.key);
        this.#meta.set(decl.key, given ?? dflt);
        if (this.outline) {
          const deps = given === undefined && decl.value !== undefined
            ? this.lex.processWordWithMatches(decl.value, this.#metaEnv()).matched
            : [];
          this.outline.globalArg(decl, inst.location, given ?? dflt, deps);
        }
      }
    }
    const target = this.#targetIndex();
    await this.#stage(target);
    const states = await Promise.all([...this.#states.values()]);
    states.sort((a, b) => a.spec.index - b.spec.index);
    const stages: Stage[] = states.map((s) => ({
      ...(s.spec.from.name ? { name: s.spec.from.name } : {}),
      index: s.spec.index,
      root: s.root,
      image: s.image,
      history: s.history,
    }));
    const targetPos = stages.findIndex((s) => s.index === target);
    const finalImage = stages[targetPos].image = cloneStageImage(stages[targetPos].image);
    Object.assign(finalImage.labels, this.#opts.labels);
    const unused = unusedBuildArgs(this.#spec, this.#opts.buildArgs);
    if (unused.length > 0) this.warn(`one or more build-args [${unused.join(" ")}] were not consumed`);
    return { vertices: this.graph.vertices, stages, target: targetPos };
  }

  #targetIndex(): number {
    const stages = this.#spec.stages;
    if (this.#opts.target === undefined || this.#opts.target === "") return stages.length - 1;
    const i = stages.findIndex((s) => s.name === this.#opts.target!.toLowerCase());
    if (i < 0) {
      const names = stages.flatMap((s) => (s.from.name ? [s.from.name] : []));
      const hint = suggest(this.#opts.target, names);
      throw new DockerfileError(
        this.file,
        undefined,
        `target stage "${this.#opts.target}" could not be found${hint ? ` (did you mean ${hint}?)` : ""}` +
          (names.length ? `; stages: ${names.join(", ")}` : "; the Dockerfile has no named stages"),
      );
    }
    return i;
  }

  /** Stage → the stages it uses, as far as the conversion went. */
  get deps(): ReadonlyMap<number, ReadonlySet<number>> {
    return this.#deps.uses;
  }

  #buildArg(key: string): string | undefined {
    if (!Object.hasOwn(this.#opts.buildArgs, key)) return undefined;
    this.#consumed.add(key);
    return this.#opts.buildArgs[key];
  }

  #metaEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of this.#meta) if (v !== undefined) env[k] = v;
    return env;
  }

  #stage(i: number): Promise<StageState> {
    let p = this.#states.get(i);
    if (!p) {
      p = this.#convertStage(i);
      this.#states.set(i, p);
    }
    return p;
  }

  /** Stage `to` (an earlier one, or FROM's base) as used by stage `from`, recorded for loop checks. */
  #use(from: number, to: number, line: number): Promise<StageState> {
    this.#deps.add(from, to, line);
    return this.#stage(to);
  }

  #stageName(i: number): string {
    return this.#spec.stages[i].from.name ?? `stage-${i}`;
  }

  #stageIndexByName(name: string): number | undefined {
    const i = this.#spec.stages.findIndex((s) => s.name === name.toLowerCase());
    return i < 0 ? undefined : i;
  }

  async #convertStage(i: number): Promise<StageState> {
    const spec = this.#spec.stages[i];
    const from = spec.from;
    const line = from.location.startLine;
    const fail = (msg: string): never => {
      throw new DockerfileError(this.file, line, msg);
    };
    const metaEnv = this.#metaEnv();
    const name = expandWord(this, from.image, metaEnv, line).trim();
    const hint = undefinedVariables(this.lex, from.image, metaEnv);
    if (name === "") fail(`base name (${from.image}) should not be blank${hint}`);
    if (
      hint && this.#stageIndexByName(name) === undefined && name.toLowerCase() !== "scratch" && !isImageReference(name)
    ) {
      fail(`"${name}" is not a valid image reference${hint}`);
    }
    let platform = this.#opts.platform;
    if (from.platform !== undefined) {
      const text = expandWord(this, from.platform, metaEnv, line);
      try {
        platform = parsePlatform(text);
      } catch (e) {
        fail(`FROM --platform: ${(e as Error).message}`);
      }
    }
    const fromWords = from.platform === undefined ? [from.image] : [from.image, from.platform];
    this.outline?.stage(i, fromWords.flatMap((w) => [...this.lex.processWordWithMatches(w, metaEnv).matched]));
    const base = this.#stageIndexByName(name);
    let state: StageState;
    if (base !== undefined && base < i) {
      const parent = await this.#use(i, base, line);
      state = {
        spec,
        root: parent.root,
        image: cloneStageImage(parent.image),
        history: [...parent.history],
        args: [],
        cmdSet: false,
        // BuildKit starts the child from the parent's LLB state, ARG values included.
        stateEnv: [...parent.stateEnv],
      };
    } else if (base !== undefined && base > i) {
      return fail(
        `FROM ${name}: stage "${name}" is defined later (line ${
          this.#spec.stages[base].from.location.startLine
        }); a stage can only build on earlier stages`,
      );
    } else {
      const source = await this.#source(name, platform, line, true);
      const image = stageImageFrom(source.config, platform);
      state = { spec, root: source.vertex, image, history: [], args: [], cmdSet: false, stateEnv: [...image.env] };
    }
    if (state.image.onBuild.length > 0) {
      const triggers = state.image.onBuild;
      state.image.onBuild = [];
      for (const trigger of triggers) {
        const node = parseDockerfile(trigger + "\n", { file: this.file }).ast.children[0];
        if (!node) continue;
        node.startLine = node.endLine = line;
        const inst = parseInstruction(node, this.file);
        inst.location = { ...from.location, text: trigger };
        await dispatch(this, state, inst);
      }
    }
    for (const inst of spec.commands) await dispatch(this, state, inst);
    return state;
  }

  /**
   * A non-stage source: a named build context, `scratch`, or a registry image. `config` is undefined for sources
   * without an image config (scratch, local directories).
   */
  async #source(
    name: string,
    platform: Platform,
    line: number,
    isFrom: boolean,
  ): Promise<{ vertex: VertexId; config?: ImageConfig }> {
    const named = this.#opts.buildContexts?.[name];
    if (named !== undefined) {
      if (named.startsWith("docker-image://")) return await this.#image(named.slice(15), platform, line);
      if (named.startsWith("oci-layout://")) return await this.#image(named, platform, line);
      let local = this.#named.get(name);
      if (local === undefined) {
        local = this.graph.add({ kind: "local", name, path: named, excludes: [] });
        this.#named.set(name, local);
      }
      if (!isFrom) return { vertex: local };
      // A directory as a base: its files become the stage's first layer.
      const vertex = this.graph.add({
        kind: "file",
        input: this.graph.add({ kind: "scratch" }),
        actions: [copyAction(local, ["/"], "/")],
      });
      return { vertex };
    }
    if (isFrom && name.toLowerCase() === "scratch") return { vertex: this.graph.add({ kind: "scratch" }) };
    if (!isImageReference(name)) {
      throw new DockerfileError(this.file, line, `"${name}" is not a valid image reference`);
    }
    return await this.#image(name, platform, line);
  }

  async #image(ref: string, platform: Platform, line: number): Promise<{ vertex: VertexId; config: ImageConfig }> {
    const key = `${ref}|${formatPlatform(platform)}`;
    const known = this.#images.get(key);
    if (known) return known;
    let resolved: ResolvedImage;
    try {
      resolved = await this.#opts.resolveImage(ref, platform);
    } catch (e) {
      throw new DockerfileError(
        this.file,
        line,
        `failed to resolve image "${ref}" for ${formatPlatform(platform)}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const vertex = this.graph.add({ kind: "image", ref: resolved.ref, digest: resolved.digest, platform });
    const out = { vertex, config: resolved.config };
    this.#images.set(key, out);
    return out;
  }

  // --- DispatchContext ---

  contextVertex(): VertexId {
    if (this.#context === undefined) {
      this.#context = this.graph.add({
        kind: "local",
        name: "context",
        path: this.#opts.contextPath,
        excludes: [...this.#opts.contextExcludes],
      });
    }
    return this.#context;
  }

  async resolveFrom(name: string, state: StageState, line: number, what: "copy" | "mount" = "copy"): Promise<VertexId> {
    const current = state.spec.index;
    const stages = this.#spec.stages;
    const fail = (msg: string): never => {
      throw new DockerfileError(this.file, line, msg);
    };
    const idx = /^\d+$/.test(name) ? parseInt(name, 10) : this.#stageIndexByName(name);
    if (idx !== undefined && idx >= stages.length) {
      fail(`invalid --from=${name}: there is no stage ${idx} (the Dockerfile has ${stages.length})`);
    }
    if (idx !== undefined) {
      if (idx >= current) {
        // BuildKit checks loops first, then refuses any stage not dispatched yet (v0.13 on; 0.8 silently used
        // the later stage's base).
        this.#deps.refuseLoop(current, idx, line);
        const verb = what === "mount" ? "mount" : "copy";
        fail(
          `cannot ${verb} from stage "${name}", it needs to be defined before current stage "${
            this.#stageName(current)
          }"`,
        );
      }
      return (await this.#use(current, idx, line)).root;
    }
    if (this.#opts.buildContexts?.[name] === undefined && !isImageReference(name)) {
      const names = stages.slice(0, current).flatMap((s) => (s.from.name ? [s.from.name] : []));
      const hint = suggest(name, names);
      fail(`--from=${name}: no such stage, and not a valid image reference${hint ? ` (did you mean ${hint}?)` : ""}`);
    }
    return (await this.#source(name, state.image.platform, line, false)).vertex;
  }

  argValue(decl: ArgDecl, defaultValue: string | undefined): string | undefined {
    const fromCli = this.#buildArg(decl.key);
    if (fromCli !== undefined) return fromCli;
    if (defaultValue !== undefined) return defaultValue;
    return this.#meta.get(decl.key);
  }

  inheritsGlobalArg(key: string): boolean {
    return !Object.hasOwn(this.#opts.buildArgs, key) && this.#meta.has(key);
  }

  proxyEnv(): string[] {
    const out: string[] = [];
    for (const k of PROXY_ARGS) {
      const v = this.#buildArg(k);
      if (v !== undefined) out.push(`${k}=${v}`);
    }
    return out;
  }

  warn(message: string, line?: number): void {
    this.#opts.warn?.(message, line);
  }
}
