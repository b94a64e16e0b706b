/** Dispatch of the instructions that only change the image config or the environment (no filesystem change). */
import * as posix from "./path.ts";
import type { HistoryStep, SourceLocation } from "../../graph/mod.ts";
import type { HealthConfig } from "../../oci/mod.ts";
import { DockerfileError, type Instruction } from "../instructions/mod.ts";
import { type DispatchContext, expandWord } from "./context.ts";
import { expansionEnv, setEnv, type StageState } from "./state.ts";
import { goList, goPortSet, goQuoteList, healthcheckHistory, HISTORY_COMMENT } from "./history.ts";
import { dispatchRun } from "./dispatch_run.ts";
import { dispatchCopy } from "./dispatch_copy.ts";

/** Appends a history step; `vertex` marks a layer. */
export function commit(state: StageState, createdBy: string, vertex?: number): void {
  const step: HistoryStep = { createdBy, comment: HISTORY_COMMENT, emptyLayer: vertex === undefined };
  if (vertex !== undefined) step.vertex = vertex;
  state.history.push(step);
}

/** The default shell for shell-form commands, or the one SHELL set. */
export function shellOf(state: StageState): string[] {
  return state.image.shell && state.image.shell.length > 0 ? state.image.shell : ["/bin/sh", "-c"];
}

/**
 * Expands `80`, `80/udp`, `8000-8002/tcp` into `port/proto` keys as Docker's nat.ParsePortSpecs does. A run-time
 * mapping (`8080:80`, `127.0.0.1:8080:80/udp`) exposes its container port, as BuildKit does (lint's
 * ExposeInvalidFormat warns about it); its IP and host port are only checked.
 */
function parsePorts(spec: string, fail: (m: string) => never): string[] {
  const parts = spec.split(":");
  const container = parts[parts.length - 1];
  const hostPort = parts.length >= 2 ? parts[parts.length - 2] : "";
  let ip = parts.length >= 3 ? parts.slice(0, -2).join(":") : "";
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (ip && !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && !/^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$/.test(ip)) {
    fail(`invalid IP address: ${ip}`);
  }
  const [range, proto0, ...rest] = container.split("/");
  const proto = (proto0 || "tcp").toLowerCase();
  if (!range) fail(`no port specified: ${spec}<empty>`);
  if (rest.length > 0 || !["tcp", "udp", "sctp"].includes(proto)) fail(`invalid port/protocol: ${spec}`);
  const portRange = (r: string, what: string): [number, number] => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(r);
    if (!m) fail(`invalid ${what}: ${r}`);
    const start = parseInt(m![1], 10);
    const end = m![2] === undefined ? start : parseInt(m![2], 10);
    if (start > 65535 || end > 65535 || end < start) fail(`invalid range of ports: ${r}`);
    return [start, end];
  };
  const [start, end] = portRange(range, "containerPort");
  if (hostPort) {
    const [hs, he] = portRange(hostPort, "hostPort");
    if (he - hs !== end - start && end !== start) {
      fail(`invalid ranges specified for container and host Ports: ${range} and ${hostPort}`);
    }
  }
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Dispatches one instruction onto the stage. */
export async function dispatch(ctx: DispatchContext, state: StageState, inst: Instruction): Promise<void> {
  const line = inst.location.startLine;
  const fail = (msg: string): never => {
    throw new DockerfileError(ctx.file, line, msg);
  };
  const img = state.image;
  const env = expansionEnv(state);
  const expand = (w: string) => expandWord(ctx, w, env, line);
  switch (inst.kind) {
    case "run":
      return await dispatchRun(ctx, state, inst);
    case "copy":
    case "add":
      return await dispatchCopy(ctx, state, inst);
    case "env": {
      const parts: string[] = [];
      for (const p of inst.pairs) {
        const key = expand(p.key);
        const value = expand(p.value);
        setEnv(img.env, key, value);
        setEnv(state.stateEnv, key, value);
        parts.push(`${key}=${value}`);
      }
      return commit(state, `ENV ${parts.join(" ")}`);
    }
    case "label": {
      const parts: string[] = [];
      for (const p of inst.pairs) {
        const key = expand(p.key);
        const value = expand(p.value);
        img.labels[key] = value;
        parts.push(`${key}=${value}`);
      }
      return commit(state, `LABEL ${parts.join(" ")}`);
    }
    case "arg": {
      const parts: string[] = [];
      for (const decl of inst.args) {
        // Each default sees the ARGs declared before it in the same instruction.
        const dflt = decl.value === undefined ? undefined : expandWord(ctx, decl.value, expansionEnv(state), line);
        const value = ctx.argValue(decl, dflt);
        const inherited = dflt === undefined && ctx.inheritsGlobalArg(decl.key);
        ctx.outline?.stageArg(state.spec.index, decl, inst.location, value, inherited);
        // A redeclared ARG is listed again (BuildKit appends to the stage's build args, and RUN's history line
        // shows every entry); a redeclaration without a value keeps the value it had.
        state.args.push(value === undefined ? { key: decl.key } : { key: decl.key, value });
        if (value !== undefined) setEnv(state.stateEnv, decl.key, value);
        parts.push(dflt === undefined ? decl.key : `${decl.key}=${dflt}`);
      }
      return commit(state, `ARG ${parts.join(" ")}`);
    }
    case "maintainer":
      img.author = inst.maintainer;
      return commit(state, `MAINTAINER ${inst.maintainer}`);
    case "expose": {
      const ports: string[] = [];
      for (const word of inst.ports) {
        for (const w of expand(word).split(/\s+/).filter(Boolean)) ports.push(...parsePorts(w, fail));
      }
      for (const p of ports) if (!img.exposedPorts.includes(p)) img.exposedPorts.push(p);
      return commit(state, `EXPOSE ${goPortSet(ports)}`);
    }
    case "volume": {
      const vols = inst.volumes.map(expand);
      for (const v of vols) {
        if (v.trim() === "") fail("VOLUME specified can not be an empty string");
        if (!img.volumes.includes(v)) img.volumes.push(v);
      }
      return commit(state, `VOLUME ${goList(vols)}`);
    }
    case "user":
      img.user = expand(inst.user);
      return commit(state, `USER ${img.user}`);
    case "workdir":
      return dispatchWorkdir(ctx, state, expand(inst.path), inst.location);
    case "stopsignal": {
      const sig = expand(inst.signal);
      if (!/^(\d+|(SIG)?[A-Z][A-Z0-9]*([+-]\d+)?)$/i.test(sig)) fail(`invalid signal: ${sig}`);
      img.stopSignal = sig;
      return commit(state, `STOPSIGNAL ${sig}`);
    }
    case "shell":
      img.shell = [...inst.shell];
      return commit(state, `SHELL ${goList(inst.shell)}`);
    case "cmd":
    case "entrypoint": {
      const argv = inst.prependShell ? [...shellOf(state), inst.cmdLine.join(" ")] : [...inst.cmdLine];
      if (inst.kind === "cmd") {
        img.cmd = argv;
        // BuildKit marks every CMD so (a Docker-spec field, kept for compatibility with Docker's runtime).
        img.argsEscaped = true;
        state.cmdSet = true;
      } else {
        img.entrypoint = argv;
        if (!state.cmdSet) img.cmd = null;
      }
      return commit(state, `${inst.kind.toUpperCase()} ${goQuoteList(argv)}`);
    }
    case "healthcheck": {
      const hc: HealthConfig = { Test: [...inst.test] };
      if (inst.interval !== undefined) hc.Interval = inst.interval;
      if (inst.timeout !== undefined) hc.Timeout = inst.timeout;
      if (inst.startPeriod !== undefined) hc.StartPeriod = inst.startPeriod;
      if (inst.startInterval !== undefined) hc.StartInterval = inst.startInterval;
      if (inst.retries !== undefined) hc.Retries = inst.retries;
      img.healthcheck = hc;
      return commit(state, healthcheckHistory(hc));
    }
    case "onbuild":
      // BuildKit records the trigger in the config only: ONBUILD has no history entry.
      img.onBuild.push(inst.expression);
      return;
    case "from":
      return fail("FROM is handled by the converter");
  }
}

/** WORKDIR: relative to the previous one; created (owned by the current USER) so RUN and COPY can rely on it. */
function dispatchWorkdir(ctx: DispatchContext, state: StageState, path: string, location: SourceLocation): void {
  const img = state.image;
  let wd = posix.isAbsolute(path) ? path : posix.join(img.workingDir || "/", path);
  wd = posix.normalize(wd);
  if (wd.length > 1 && wd.endsWith("/")) wd = wd.slice(0, -1);
  img.workingDir = wd;
  if (wd === "/") return commit(state, `WORKDIR ${wd}`);
  const action = { action: "mkdir" as const, path: wd, mode: 0o755, makeParents: true, ...chownOf(img.user) };
  const id = ctx.graph.add({ kind: "file", input: state.root, actions: [action], location });
  state.root = id;
  commit(state, `WORKDIR ${wd}`, id);
}

/** `{chown}` for a USER or --chown value (`user[:group]`), or nothing when empty. */
export function chownOf(user: string | undefined): { chown?: { user: string; group?: string } } {
  if (!user) return {};
  const colon = user.indexOf(":");
  if (colon < 0) return { chown: { user } };
  // An empty group (`app:`, or `1234:` from an unset ARG) is the user's default group, as chown(1) and BuildKit's
  // Dockerfile frontend since 1.28 (moby/buildkit#3555) read it: a named user's primary group, gid = uid for a number.
  const group = user.slice(colon + 1);
  return { chown: group ? { user: user.slice(0, colon), group } : { user: user.slice(0, colon) } };
}
