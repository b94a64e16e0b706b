/**
 * `lintDockerfile`: BuildKit's build checks over a Dockerfile, in the order BuildKit evaluates them (parser, then
 * stage construction, then FROM lines, then each dispatched stage), honouring `# check=` and
 * `BUILDKIT_DOCKERFILE_CHECK`.
 *
 * @module
 */
import type { TsbuildError } from "../../errors.ts";
import { PatternMatcher } from "../../context/mod.ts";
import { type Node, parseDockerfile } from "../parser/mod.ts";
import {
  type ArgInstruction,
  DockerfileError,
  type FromInstruction,
  type Instruction,
  parseInstruction,
} from "../instructions/mod.ts";
import { ShellLex } from "../shell/mod.ts";
import { type CheckConfig, parseCheckConfig, skippedRules } from "./check_config.ts";
import {
  cloneStageState,
  type DispatchContext,
  dispatchStage,
  newStageState,
  type StageState,
} from "./dispatch_rules.ts";
import {
  checkDefaultBaseNames,
  checkFromLine,
  defaultArgs,
  defaultPlatforms,
  FromError,
  metaArgScope,
} from "./from_rules.ts";
import { SourceLines } from "./source_text.ts";
import {
  checkDescription,
  checkFromNode,
  checkInstructionCasing,
  checkStageNames,
  type LintCommand,
  type LintStage,
  rangeOf,
} from "./stage_rules.ts";
import { suggestName } from "./suggest.ts";
import { type LintWarning, WarningReporter } from "./warning.ts";

/** Options of {@link lintDockerfile}. */
export interface LintOptions {
  /** `--build-arg` values (BUILDKIT_DOCKERFILE_CHECK among them overrides the `# check=` directive). */
  buildArgs?: Record<string, string>;
  /** .dockerignore patterns (for CopyIgnoredFile). */
  dockerignore?: string[];
  /** `--target`; the last stage when absent. */
  target?: string;
  /**
   * The environment (`KEY=value` list) of the image a stage starts FROM, or undefined when it is not known. Stages
   * whose base environment is unknown get no UndefinedVar warnings: any variable could come from the image.
   * Stages FROM `scratch` or FROM another stage never need it.
   */
  baseEnv?: (stageName: string, stageIndex: number, baseImage: string) => string[] | undefined;
  /** `--platform` of the build (first one); this machine's when absent. */
  platform?: string;
  /**
   * Lint every stage, as `docker build --check` does when no target is given. By default (a build) the
   * instruction-level rules only run for the stages the target needs, as BuildKit only dispatches those.
   */
  allStages?: boolean;
  /** File name for error messages. */
  file?: string;
}

/** What {@link lintDockerfile} found. */
export interface LintResult {
  warnings: LintWarning[];
  /** `check=error=true`: the build must fail when there are warnings (after printing them). */
  errorOnWarn: boolean;
  /** Names of the rules the configuration turned off (skipped, or experimental and not enabled). */
  skipped: string[];
  /** Set when the Dockerfile cannot be built; the warnings found before the failure are still returned. */
  error?: TsbuildError;
}

interface Stage extends LintStage {
  inst: FromInstruction;
  typed: { cmd: LintCommand; inst: Instruction }[];
}

/** Runs BuildKit's build checks. Never throws: a Dockerfile that cannot be built comes back with `error` set. */
export function lintDockerfile(source: string, opts: LintOptions = {}): LintResult {
  const file = opts.file ?? "Dockerfile";
  const buildArgs = opts.buildArgs ?? {};
  let parsed;
  try {
    parsed = parseDockerfile(source, { file });
  } catch (e) {
    return { warnings: [], errorOnWarn: false, skipped: [], error: asError(e, file) };
  }
  let config: CheckConfig;
  try {
    config = Object.hasOwn(buildArgs, "BUILDKIT_DOCKERFILE_CHECK")
      ? parseCheckConfig(buildArgs.BUILDKIT_DOCKERFILE_CHECK, "BUILDKIT_DOCKERFILE_CHECK")
      : parseCheckConfig(parsed.directives.find((d) => d.name === "check")?.value ?? "", "# check= directive");
  } catch (e) {
    return { warnings: [], errorOnWarn: false, skipped: [], error: asError(e, file) };
  }
  const report = new WarningReporter(config);
  const result = (error?: TsbuildError): LintResult => ({
    warnings: report.warnings,
    errorOnWarn: config.errorOnWarn,
    skipped: skippedRules(config),
    ...(error ? { error } : {}),
  });
  try {
    const lines = new SourceLines(source);
    for (const d of parsed.directives) lines.directiveLines.add(d.line);
    run(parsed.ast, parsed.escapeToken, parsed.warnings, lines, report, opts, buildArgs, file);
  } catch (e) {
    return result(asError(e, file));
  }
  return result();
}

function asError(e: unknown, file: string): TsbuildError {
  if (e instanceof Error && "exitCode" in e) return e as TsbuildError;
  return new DockerfileError(file, undefined, e instanceof Error ? e.message : String(e), { cause: e });
}

function run(
  ast: Node,
  escapeToken: "\\" | "`",
  parserWarnings: { line: number }[],
  lines: SourceLines,
  report: WarningReporter,
  opts: LintOptions,
  buildArgs: Record<string, string>,
  file: string,
): void {
  const nodes = ast.children;
  // The parser notes an empty continuation on the instruction's first line; BuildKit points at its last.
  for (const w of parserWarnings) {
    const node = nodes.find((n) => n.startLine === w.line);
    const end = node?.endLine ?? w.line;
    report.report("NoEmptyContinuation", { startLine: end, endLine: end });
  }

  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  let previousEnd = 0;
  for (const node of nodes) {
    const keyword = lines.keyword(node);
    const cmd: LintCommand = { node, keyword, range: rangeOf(node) };
    if (node.value === "from") checkFromNode(node, keyword, report);
    if (node.value === "maintainer") report.report("MaintainerDeprecated", cmd.range);
    const inst = parseInstruction(node, file);
    if (inst.kind === "from" && inst.name) {
      checkDescription("FROM", [inst.name.toLowerCase()], node, previousEnd, lines, report);
    }
    if (inst.kind === "arg") checkDescription("ARG", inst.args.map((a) => a.key), node, previousEnd, lines, report);
    previousEnd = node.endLine;
    if (inst.kind === "from") {
      stages.push({ index: stages.length, name: inst.name?.toLowerCase(), from: cmd, inst, commands: [], typed: [] });
    } else if (stages.length === 0) {
      if (inst.kind !== "arg") {
        throw new DockerfileError(
          file,
          node.startLine,
          `${keyword.toUpperCase()} before the first FROM: only ARG may come before FROM`,
        );
      }
      metaArgs.push(inst);
    } else {
      const stage = stages[stages.length - 1];
      stage.commands.push(cmd);
      stage.typed.push({ cmd, inst });
    }
  }
  if (stages.length === 0) throw new DockerfileError(file, undefined, "dockerfile contains no stages to build");
  checkStageNames(stages, report);
  checkInstructionCasing(stages, report);

  const lex = new ShellLex(escapeToken);
  const platforms = defaultPlatforms(opts.platform);
  const targetName = opts.target?.toLowerCase() || stages[stages.length - 1].name || "";
  const defaults = defaultArgs(platforms.target, platforms.build, targetName, buildArgs);
  checkDefaultBaseNames(stages.map((s) => ({ from: s.inst, range: s.from.range })), lex, defaults, metaArgs, report);
  const global = metaArgScope(defaults, lex, metaArgs, buildArgs);
  if (!global) throw new DockerfileError(file, metaArgs[0]?.location.startLine, "failed to expand the global ARGs");

  // FROM lines of every stage, and which earlier stage (if any) each one builds on.
  const bases: (number | undefined)[] = [];
  const baseImages: string[] = [];
  for (const s of stages) {
    let base: string;
    try {
      base = checkFromLine(s.inst, s.name, s.from.range, lex, global, report);
    } catch (e) {
      if (e instanceof FromError) throw new DockerfileError(file, s.from.range.startLine, e.message);
      throw e;
    }
    baseImages.push(base);
    const idx = stages.findLastIndex((t) => t.index < s.index && t.name === base.toLowerCase());
    bases.push(idx < 0 ? undefined : idx);
  }

  let target = stages.length - 1;
  if (opts.target) {
    target = stages.findIndex((s) => s.name === opts.target!.toLowerCase());
    if (target < 0) {
      const hint = suggestName(opts.target, stages.flatMap((s) => (s.name ? [s.name] : [])));
      throw new DockerfileError(
        file,
        undefined,
        `target stage ${JSON.stringify(opts.target)} could not be found` + (hint ? ` (did you mean ${hint}?)` : ""),
      );
    }
  }
  const reachable = opts.allStages ? new Set(stages.map((s) => s.index)) : reachableStages(stages, bases, target);

  const ctx: DispatchContext = {
    lex,
    report,
    buildArgs,
    globalEnv: global.env,
    ignore: opts.dockerignore?.some((p) => p.trim() !== "") ? new PatternMatcher(opts.dockerignore) : undefined,
  };
  const states: (StageState | undefined)[] = [];
  for (const s of stages) {
    if (!reachable.has(s.index)) continue;
    const base = bases[s.index];
    let state: StageState;
    if (base !== undefined && states[base]) state = cloneStageState(states[base]!);
    else if (baseImages[s.index].toLowerCase() === "scratch") state = newStageState([]);
    else state = newStageState(opts.baseEnv?.(s.name ?? `stage-${s.index}`, s.index, baseImages[s.index]));
    dispatchStage(s.typed, state, ctx);
    states[s.index] = state;
  }
}

/** The target and every stage it builds on or copies/mounts from, as BuildKit decides what to dispatch. */
function reachableStages(stages: Stage[], bases: (number | undefined)[], target: number): Set<number> {
  const byName = new Map<string, number>();
  for (const s of stages) if (s.name && !byName.has(s.name)) byName.set(s.name, s.index);
  const lookup = (ref: string): number | undefined => {
    if (/^\d+$/.test(ref)) return Number(ref) < stages.length ? Number(ref) : undefined;
    return byName.get(ref.toLowerCase());
  };
  const seen = new Set<number>();
  const visit = (i: number) => {
    if (seen.has(i)) return;
    seen.add(i);
    if (bases[i] !== undefined) visit(bases[i]!);
    for (const { inst } of stages[i].typed) {
      const refs: string[] = [];
      if ((inst.kind === "copy" || inst.kind === "add") && inst.from) refs.push(inst.from);
      if (inst.kind === "run") {
        for (const m of inst.mounts) {
          const from = m.split(",").map((kv) => kv.trim()).find((kv) => kv.toLowerCase().startsWith("from="));
          if (from) refs.push(from.slice(5));
        }
      }
      for (const r of refs) {
        const dep = lookup(r);
        if (dep !== undefined) visit(dep);
      }
    }
  };
  visit(target);
  return seen;
}
