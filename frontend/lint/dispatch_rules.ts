/**
 * The rules BuildKit checks while it dispatches a stage's instructions, so they see the stage's variables, working
 * directory and SHELL as they are at that point: UndefinedVar, WorkdirRelativePath, JSONArgsRecommended,
 * MultipleInstructionsDisallowed, LegacyKeyValueFormat, SecretsUsedInArgOrEnv and CopyIgnoredFile.
 *
 * @module
 */
import { PatternMatcher } from "../../context/mod.ts";
import type { Instruction } from "../instructions/mod.ts";
import type { ShellLex } from "../shell/mod.ts";
import { type Env, expand } from "./from_rules.ts";
import { isSecretKey } from "./secret_keys.ts";
import { argWords, type LintCommand } from "./stage_rules.ts";
import { suggestName } from "./suggest.ts";
import type { LineRange, WarningReporter } from "./warning.ts";

/** BuildKit's default PATH, which every stage has unless its image sets one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** ARGs that configure BuildKit and never become environment variables. */
const NON_ENV_ARGS = new Set(["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]);

/** What a stage carries from instruction to instruction (and passes on to stages built FROM it). */
export interface StageState {
  env: Env;
  /** False when the base image's environment is unknown: any variable might come from it. */
  envKnown: boolean;
  /** Names declared by ARG in this stage or the stages it derives from. */
  declaredArgs: string[];
  workdirSet: boolean;
  shellSet: boolean;
}

/** Everything dispatch needs besides the stage itself. */
export interface DispatchContext {
  lex: ShellLex;
  report: WarningReporter;
  buildArgs: Record<string, string>;
  globalEnv: Env;
  /** The .dockerignore matcher, or undefined when there are no patterns. */
  ignore?: PatternMatcher;
}

export function newStageState(baseEnv: string[] | undefined): StageState {
  const env: Env = new Map();
  for (const kv of baseEnv ?? []) {
    const eq = kv.indexOf("=");
    env.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? "" : kv.slice(eq + 1));
  }
  if (!env.has("PATH")) env.set("PATH", DEFAULT_PATH);
  return { env, envKnown: baseEnv !== undefined, declaredArgs: [], workdirSet: false, shellSet: false };
}

export function cloneStageState(s: StageState): StageState {
  return { ...s, env: new Map(s.env), declaredArgs: [...s.declaredArgs] };
}

/** Words of an instruction that BuildKit expands with the stage's variables before running it (never RUN's). */
function expandedWords(inst: Instruction): string[] {
  switch (inst.kind) {
    case "env":
    case "label":
      return inst.pairs.flatMap((p) => [p.key, p.value]);
    case "copy":
    case "add": {
      const heredocs = new Set(inst.heredocs.map((h) => h.name));
      const sources = inst.sources.filter((s) => !isHeredocSource(s, heredocs));
      return [inst.chown ?? "", inst.chmod ?? "", ...sources, inst.dest].filter((w) => w !== "");
    }
    case "workdir":
      return [inst.path];
    case "expose":
      return inst.ports;
    case "user":
      return [inst.user];
    case "volume":
      return inst.volumes;
    case "stopsignal":
      return [inst.signal];
    default:
      return [];
  }
}

function isHeredocSource(word: string, names: Set<string>): boolean {
  const m = /^<<-?(['"]?)(.+)\1$/.exec(word);
  return m !== null && names.has(m[2]);
}

function reportUndefined(range: LineRange, unmatched: Set<string>, state: StageState, ctx: DispatchContext): void {
  if (!state.envKnown) return;
  for (const name of unmatched) {
    if (state.declaredArgs.includes(name) || NON_ENV_ARGS.has(name)) continue;
    ctx.report.report("UndefinedVar", range, name, suggestName(name, state.env.keys()));
  }
}

/** Expands with the stage's variables, reporting undefined ones; a word the lexer refuses is kept as written. */
function expandWord(word: string, range: LineRange, state: StageState, ctx: DispatchContext): string {
  const r = expand(ctx.lex, word, state.env);
  if (!r) return word;
  reportUndefined(range, r.unmatched, state, ctx);
  return r.result;
}

/** Instructions whose earlier occurrences in a stage are silently overridden. */
type Once = "cmd" | "entrypoint" | "healthcheck";

/** Runs the dispatch-time rules over one stage's instructions, updating `state`. */
export function dispatchStage(
  commands: { cmd: LintCommand; inst: Instruction }[],
  state: StageState,
  ctx: DispatchContext,
): void {
  const seen = new Map<Once, LintCommand>();
  const usedOnce = (kind: Once, cmd: LintCommand) => {
    const prev = seen.get(kind);
    // The earlier one is reported: it is the one that will be ignored.
    if (prev) ctx.report.report("MultipleInstructionsDisallowed", prev.range, cmd.keyword);
    seen.set(kind, cmd);
  };
  for (const { cmd, inst } of commands) {
    const range = cmd.range;
    if (inst.kind === "arg") {
      dispatchArg(inst.args, range, state, ctx);
      continue;
    }
    const words = expandedWords(inst).map((w) => expandWord(w, range, state, ctx));
    switch (inst.kind) {
      case "env": {
        const raw = argWords(cmd.node);
        inst.pairs.forEach((_, i) => {
          const [key, value] = [words[2 * i], words[2 * i + 1]];
          if (raw[3 * i + 2] === "") ctx.report.report("LegacyKeyValueFormat", range, cmd.keyword);
          if (isSecretKey(key)) ctx.report.report("SecretsUsedInArgOrEnv", range, "ENV", key);
          state.env.delete(key);
          state.env.set(key, value);
        });
        break;
      }
      case "label": {
        const raw = argWords(cmd.node);
        inst.pairs.forEach((_, i) => {
          if (raw[3 * i + 2] === "") ctx.report.report("LegacyKeyValueFormat", range, cmd.keyword);
        });
        break;
      }
      case "cmd":
      case "entrypoint":
        usedOnce(inst.kind, cmd);
        if (inst.prependShell && !state.shellSet) ctx.report.report("JSONArgsRecommended", range, cmd.keyword);
        break;
      case "healthcheck":
        usedOnce("healthcheck", cmd);
        break;
      case "shell":
        state.shellSet = true;
        break;
      case "workdir": {
        // Only the first WORKDIR of the build's chain is checked: fixing it fixes the relative ones after it.
        if (!state.workdirSet && !words[0].startsWith("/")) ctx.report.report("WorkdirRelativePath", range, words[0]);
        state.workdirSet = true;
        break;
      }
      case "copy":
      case "add":
        if (inst.from === undefined) checkIgnoredSources(inst.kind, inst, words, range, ctx);
        break;
      case "expose":
        // Dockerfile 1.18: `EXPOSE 80/TCP` and `EXPOSE 127.0.0.1:80:80` (a run-time mapping, not an image's port).
        for (const port of words.flatMap((w) => w.split(/\s+/)).filter(Boolean)) {
          if (port.includes(":")) ctx.report.report("ExposeInvalidFormat", range, port);
          const proto = port.includes("/") ? port.slice(port.lastIndexOf("/") + 1) : "";
          if (proto !== proto.toLowerCase()) ctx.report.report("ExposeProtoCasing", range, port);
        }
        break;
    }
  }
}

function dispatchArg(
  args: { key: string; value?: string }[],
  range: LineRange,
  state: StageState,
  ctx: DispatchContext,
): void {
  for (const arg of args) {
    if (isSecretKey(arg.key)) ctx.report.report("SecretsUsedInArgOrEnv", range, "ARG", arg.key);
    let value: string | undefined;
    if (Object.hasOwn(ctx.buildArgs, arg.key)) value = ctx.buildArgs[arg.key];
    else if (arg.value !== undefined) value = expandWord(arg.value, range, state, ctx);
    else value = ctx.globalEnv.get(arg.key);
    if (value !== undefined && !NON_ENV_ARGS.has(arg.key)) {
      state.env.delete(arg.key);
      state.env.set(arg.key, value);
    }
    state.declaredArgs.push(arg.key);
  }
}

const cleanSlash = (p: string): string => {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!abs) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return abs ? "/" + joined : joined === "" ? "." : joined;
};

/**
 * CopyIgnoredFile (experimental): a context source that .dockerignore excludes. Skipped when the patterns have
 * `!` exceptions, as BuildKit does: which files an exception brings back cannot be told without the context.
 */
function checkIgnoredSources(
  kind: "copy" | "add",
  inst: Extract<Instruction, { kind: "copy" | "add" }>,
  words: string[],
  range: LineRange,
  ctx: DispatchContext,
): void {
  const m = ctx.ignore;
  if (!m || m.hasExclusions) return;
  const heredocs = new Set(inst.heredocs.map((h) => h.name));
  const nSources = inst.sources.filter((s) => !isHeredocSource(s, heredocs)).length;
  // words = [chown?, chmod?, ...sources, dest]; the sources are the nSources before the last word.
  const sources = words.slice(words.length - 1 - nSources, words.length - 1);
  for (const raw of sources) {
    if (kind === "add" && /^(https?:\/\/|git@|git:\/\/)/.test(raw)) continue;
    const src = cleanSlash(raw);
    if (
      (src === "." || src === "/") && !m.patterns.some((p) => !p.exclusion && ["*", "**", "**/*"].includes(p.cleaned))
    ) {
      continue;
    }
    const rel = src === "/" ? "." : src.replace(/^\/+/, "");
    if (rel === "." ? true : m.matches(rel)) {
      ctx.report.report("CopyIgnoredFile", range, kind === "add" ? "Add" : "Copy", src);
    }
  }
}
