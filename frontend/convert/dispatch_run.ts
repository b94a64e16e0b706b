/** RUN: an ExecVertex with its mounts, environment (build args included) and BuildKit's history line. */
import type { ExecMount, ExecVertex } from "../../graph/mod.ts";
import { parseMount, type RunInstruction } from "../instructions/mod.ts";
import { type DispatchContext, expandWord } from "./context.ts";
import { DEFAULT_PATH, expansionEnv, splitEnv, type StageState } from "./state.ts";
import { commit, shellOf } from "./dispatch.ts";
import { parseHeredoc } from "../parser/mod.ts";
import { runCommandString } from "./history.ts";

/** Matches a whole shell-form command that is only a heredoc redirect (`<<EOF`, `<<-"EOF"`). */
function bareHeredoc(cmd: string): boolean {
  try {
    return parseHeredoc(cmd) !== undefined;
  } catch {
    return false;
  }
}

/** The environment a RUN sees: the LLB state's (ENV and set ARGs, latest first-set order), proxy args, a PATH. */
function execEnv(ctx: DispatchContext, state: StageState): string[] {
  const env = [...state.stateEnv];
  const keys = new Set(env.map((e) => splitEnv(e)[0]));
  for (const p of ctx.proxyEnv()) {
    const k = splitEnv(p)[0];
    if (!keys.has(k)) env.push(p), keys.add(k);
  }
  if (!keys.has("PATH")) env.push(`PATH=${DEFAULT_PATH}`);
  return env;
}

export async function dispatchRun(ctx: DispatchContext, state: StageState, inst: RunInstruction): Promise<void> {
  const line = inst.location.startLine;
  const env = expansionEnv(state);
  const mounts: ExecMount[] = [];
  let args: string[];
  if (!inst.prependShell) {
    args = [...inst.cmdLine];
  } else if (inst.heredocs.length === 0) {
    args = [...shellOf(state), inst.cmdLine.join(" ")];
  } else {
    const cmd = inst.cmdLine.join(" ");
    // The whole command is one heredoc word (`<<EOF`, `<< EOF`, `3<<-"EOF"`): its body is the script.
    const only = inst.heredocs.length === 1 && bareHeredoc(cmd.trim()) ? inst.heredocs[0] : undefined;
    if (only && only.content.startsWith("#!")) {
      // A script with its own interpreter: run it as a file, the way BuildKit mounts it under /dev/pipes.
      const script = ctx.graph.add({
        kind: "file",
        input: null,
        actions: [{ action: "mkfile", path: `/${only.name}`, mode: 0o755, data: only.content }],
        location: inst.location,
      });
      mounts.push({ type: "bind", target: "/dev/pipes", from: script, source: "/", readonly: true });
      // BuildKit still puts the shell in front (`/bin/sh -c /dev/pipes/EOF`), which also shows in the history.
      args = [...shellOf(state), `/dev/pipes/${only.name}`];
    } else if (only) {
      // `RUN <<EOF` alone: the body is the script.
      args = [...shellOf(state), only.content];
    } else {
      // A command reading heredocs (`cat <<A >f`): the shell handles them itself, given the bodies inline.
      let text = cmd;
      // Exactly as BuildKit reconstitutes it: newline, body, terminator.
      for (const h of inst.heredocs) text += `\n${h.content}${h.name}`;
      args = [...shellOf(state), text];
    }
  }
  for (const raw of inst.mounts) {
    const spec = parseMount(expandWord(ctx, raw, env, line), { file: ctx.file, line });
    if (spec.type === "bind") {
      const from = spec.from !== undefined
        ? await ctx.resolveFrom(spec.from, state, line, "mount")
        : ctx.contextVertex();
      mounts.push({ ...spec, from });
    } else if (spec.type === "cache") {
      const { from: name, ...rest } = spec;
      mounts.push(name !== undefined ? { ...rest, from: await ctx.resolveFrom(name, state, line, "mount") } : rest);
    } else {
      if (spec.type === "secret" || spec.type === "ssh") {
        ctx.outline?.mount(state.spec.index, spec.type, spec.id, spec.required, inst.location);
      }
      mounts.push(spec);
    }
  }
  for (let i = 0; i < mounts.length; i++) {
    const t = mounts[i].target;
    if (t !== undefined && mounts.findIndex((m) => m.target === t) !== i) {
      ctx.warn(`RUN: two mounts target ${t}; the later one wins`, line);
    }
  }
  const vertex: ExecVertex = {
    kind: "exec",
    input: state.root,
    args,
    env: execEnv(ctx, state),
    cwd: state.image.workingDir || "/",
    user: state.image.user ?? "",
    network: (inst.network ?? "default") as ExecVertex["network"],
    mounts,
    location: inst.location,
  };
  if (inst.security) vertex.security = inst.security as "sandbox" | "insecure";
  state.root = ctx.graph.add(vertex);
  commit(state, `RUN ${runCommandString(args, state.args, env)} # buildkit`, state.root);
}
