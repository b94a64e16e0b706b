/**
 * The global scope of a Dockerfile (ARGs before the first FROM plus BuildKit's predefined platform ARGs) and the
 * rules about FROM lines that BuildKit evaluates for every stage: InvalidDefaultArgInFrom, UndefinedArgInFrom,
 * RedundantTargetPlatform and FromPlatformFlagConstDisallowed.
 *
 * @module
 */
import { hostPlatform, parsePlatform, type Platform } from "../../oci/mod.ts";
import { platformArgs } from "../convert/args.ts";
import { parseReference } from "../../registry/mod.ts";
import type { ShellLex } from "../shell/mod.ts";
import type { ArgInstruction, FromInstruction } from "../instructions/mod.ts";
import { suggestName } from "./suggest.ts";
import type { LineRange, WarningReporter } from "./warning.ts";

/** Ordered variables (insertion order is what BuildKit's suggestions iterate). */
export type Env = Map<string, string>;

/** BuildKit's predefined ARGs for a build from `build` to `target` platform, `--build-arg` overriding them. */
export function defaultArgs(
  target: Platform,
  build: Platform,
  targetStage: string,
  buildArgs: Record<string, string>,
): Env {
  const env: Env = new Map();
  for (const [k, v] of Object.entries(platformArgs(target, build, targetStage))) {
    env.set(k, Object.hasOwn(buildArgs, k) ? buildArgs[k] : v);
  }
  return env;
}

export const record = (env: Env): Record<string, string> => Object.fromEntries(env);

/** Expands a word; a word the lexer refuses yields undefined (that failure is the build's to report). */
export function expand(
  lex: ShellLex,
  word: string,
  env: Env,
): { result: string; matched: Set<string>; unmatched: Set<string> } | undefined {
  try {
    return lex.processWordWithMatches(word, record(env));
  } catch {
    return undefined;
  }
}

/**
 * The global ARG scope: each ARG before the first FROM takes its `--build-arg` value, else its expanded default.
 * Returns the scope and every declared name (declared without a value still counts as declared).
 */
export function metaArgScope(
  defaults: Env,
  lex: ShellLex,
  metaArgs: ArgInstruction[],
  buildArgs: Record<string, string> | undefined,
): { env: Env; declared: Set<string> } | undefined {
  const env: Env = new Map(defaults);
  const declared = new Set<string>();
  for (const cmd of metaArgs) {
    for (const arg of cmd.args) {
      let value: string | undefined;
      if (buildArgs && Object.hasOwn(buildArgs, arg.key)) value = buildArgs[arg.key];
      else if (arg.value !== undefined) {
        const r = expand(lex, arg.value, env);
        if (!r) return undefined;
        value = r.result;
      }
      if (value !== undefined) {
        env.delete(arg.key);
        env.set(arg.key, value);
      }
      declared.add(arg.key);
    }
  }
  return { env, declared };
}

/**
 * InvalidDefaultArgInFrom: with no `--build-arg` at all, every base image name must still be a valid reference
 * (catches `FROM busybox:$VERSION` whose ARG has no default).
 */
export function checkDefaultBaseNames(
  froms: { from: FromInstruction; range: LineRange }[],
  lex: ShellLex,
  defaults: Env,
  metaArgs: ArgInstruction[],
  report: WarningReporter,
): void {
  const scope = metaArgScope(defaults, lex, metaArgs, undefined);
  if (!scope) return;
  for (const { from, range } of froms) {
    const r = expand(lex, from.image, scope.env);
    if (!r) return;
    try {
      parseReference(r.result);
      if (r.result !== r.result.trim()) throw new Error("surrounding space");
    } catch {
      report.report("InvalidDefaultArgInFrom", range, from.image);
    }
  }
}

/** A stage's FROM failed in a way that stops BuildKit before any instruction runs. */
export class FromError extends Error {}

/**
 * The per-stage FROM checks, with the real build args: variables in the image name or `--platform` that no ARG
 * declares, a `--platform=$TARGETPLATFORM` that changes nothing, and a constant `--platform` not explained by the
 * stage name. Returns the expanded base name.
 */
export function checkFromLine(
  from: FromInstruction,
  stageName: string | undefined,
  range: LineRange,
  lex: ShellLex,
  global: { env: Env; declared: Set<string> },
  report: WarningReporter,
): string {
  const known = new Set([...global.declared, ...global.env.keys()]);
  const undeclared = (unmatched: Set<string>) => {
    for (const name of unmatched) {
      if (!known.has(name)) report.report("UndefinedArgInFrom", range, name, suggestName(name, known));
    }
  };
  const base = expand(lex, from.image, global.env);
  if (base) undeclared(base.unmatched);
  if (!base) throw new FromError(`failed to process base name ${from.image}`);
  if (base.result === "") throw new FromError(`base name (${from.image}) should not be blank`);
  if (from.platform !== undefined) {
    const p = expand(lex, from.platform, global.env);
    if (!p) throw new FromError(`failed to process arguments for platform ${from.platform}`);
    undeclared(p.unmatched);
    if (
      p.matched.size === 1 && p.unmatched.size === 0 && p.matched.has("TARGETPLATFORM") &&
      p.result === global.env.get("TARGETPLATFORM")
    ) {
      report.report("RedundantTargetPlatform", range, from.platform);
    }
    if (p.matched.size === 0 && p.unmatched.size === 0) {
      let parsed: Platform | undefined;
      try {
        parsed = parsePlatform(p.result);
      } catch { /* the build reports the bad platform */ }
      const name = stageName ?? "";
      if (parsed && !name.includes(parsed.os) && !name.includes(parsed.architecture)) {
        report.report("FromPlatformFlagConstDisallowed", range, p.result);
      }
    }
    if (p.result === "") throw new FromError(`empty platform value from expression ${from.platform}`);
  }
  return base.result;
}

/** The platforms a build targets by default: this machine's. */
export function defaultPlatforms(target?: string): { target: Platform; build: Platform } {
  const build = hostPlatform();
  let t = build;
  if (target) {
    try {
      t = parsePlatform(target);
    } catch { /* keep the host's: the build reports the bad --platform itself */ }
  }
  return { target: t, build };
}
