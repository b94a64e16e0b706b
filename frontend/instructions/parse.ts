import type { Node, ParseResult } from "../parser/mod.ts";
import type { SourceLocation } from "../../graph/mod.ts";
import { DockerfileError } from "./errors.ts";
import { type FlagSpec, parseFlags } from "./flags.ts";
import { parseGoDuration } from "./duration.ts";
import { suggest } from "./suggest.ts";
import type {
  ArgDecl,
  ArgInstruction,
  DockerfileSpec,
  HealthcheckInstruction,
  Instruction,
  KeyValue,
  StageSpec,
} from "./types.ts";

/** Every keyword tsbuild understands, uppercased, for did-you-mean suggestions. */
export const KEYWORDS = [
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
] as const;

const COPY_FLAGS: FlagSpec = {
  from: "string",
  chown: "string",
  chmod: "string",
  link: "bool",
  parents: "bool",
  exclude: "strings",
};
const FLAGS: Record<string, FlagSpec> = {
  from: { platform: "string" },
  run: { mount: "strings", network: "string", security: "string" },
  copy: COPY_FLAGS,
  add: { ...COPY_FLAGS, checksum: "string", "keep-git-dir": "bool", unpack: "bool" },
  healthcheck: {
    interval: "string",
    timeout: "string",
    "start-period": "string",
    "start-interval": "string",
    retries: "string",
  },
};

/** The argument words of an instruction node (its `next` chain). */
function words(node: Node): string[] {
  const out: string[] = [];
  for (let n = node.next; n; n = n.next) out.push(n.value);
  return out;
}

function locationOf(node: Node, file: string): SourceLocation {
  const text = node.original.split("\n")[0].trim();
  return { file, startLine: node.startLine, endLine: node.endLine, text };
}

/** Turns one parsed instruction node into its typed form, validating flags and argument counts. */
export function parseInstruction(node: Node, file: string): Instruction {
  const keyword = node.value.toLowerCase();
  const upper = keyword.toUpperCase();
  const location = locationOf(node, file);
  const fail = (msg: string): never => {
    throw new DockerfileError(file, node.startLine, msg);
  };
  if (!(KEYWORDS as readonly string[]).includes(upper)) {
    const hint = suggest(upper, KEYWORDS);
    fail(`unknown instruction: ${node.value.toUpperCase()}${hint ? ` (did you mean ${hint}?)` : ""}`);
  }
  const flags = parseFlags(node.flags, FLAGS[keyword] ?? {}, { file, line: node.startLine, keyword: upper });
  const args = words(node);
  const atLeast = (n: number) => {
    if (args.length < n) fail(`${upper} requires at least ${n === 1 ? "one argument" : `${n} arguments`}`);
  };
  const exactlyOne = () => {
    if (args.length !== 1) fail(`${upper} requires exactly one argument`);
  };
  switch (keyword) {
    case "from": {
      atLeast(1);
      if (args.length !== 1 && !(args.length === 3 && args[1].toLowerCase() === "as")) {
        fail("FROM requires either one or three arguments (FROM <image> [AS <name>])");
      }
      const name = args[2];
      if (name !== undefined && !/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(name)) {
        fail(`invalid name for build stage: "${name}", name can't start with a number or contain symbols`);
      }
      return { kind: "from", location, image: args[0], name, platform: flags.strings.get("platform") };
    }
    case "run": {
      atLeast(1);
      const network = flags.strings.get("network");
      if (network !== undefined && !["default", "none", "host"].includes(network)) {
        fail(`unsupported network mode "${network}" (use default, none or host)`);
      }
      const security = flags.strings.get("security");
      if (security !== undefined && !["sandbox", "insecure"].includes(security)) {
        fail(`unsupported security mode "${security}" (use sandbox or insecure)`);
      }
      return {
        kind: "run",
        location,
        cmdLine: args,
        prependShell: !node.json,
        heredocs: node.heredocs,
        mounts: flags.arrays.get("mount") ?? [],
        network,
        security,
      };
    }
    case "copy":
    case "add": {
      if (args.length < 2) fail(`${upper} requires at least two arguments, but only ${args.length} provided`);
      const chmod = flags.strings.get("chmod");
      // A value with variables is checked again once expanded (dispatch).
      if (chmod !== undefined && !chmod.includes("$") && !isValidChmod(chmod)) {
        fail(`invalid --chmod value "${chmod}": expected an octal mode (0755) or a symbolic one (u+x)`);
      }
      const checksum = flags.strings.get("checksum");
      // A digest for a URL source; a commit id (or its prefix) for a git source.
      if (checksum !== undefined && !/^(sha(256|384|512):)?[0-9a-f]+$/.test(checksum)) {
        fail(`invalid --checksum "${checksum}": expected sha256:<hex> (a URL) or a commit id (a git repository)`);
      }
      return {
        kind: keyword,
        location,
        sources: args.slice(0, -1),
        dest: args[args.length - 1],
        heredocs: node.heredocs,
        from: flags.strings.get("from"),
        chown: flags.strings.get("chown"),
        chmod,
        link: flags.bools.get("link") ?? false,
        parents: flags.bools.get("parents") ?? false,
        excludes: flags.arrays.get("exclude") ?? [],
        checksum,
        keepGitDir: flags.bools.get("keep-git-dir") ?? false,
        unpack: flags.bools.get("unpack"),
      };
    }
    case "env":
    case "label": {
      atLeast(1);
      // The parser yields (key, value, separator) triples; the separator is "" for the legacy `ENV key value`.
      const pairs: KeyValue[] = [];
      if (args.length % 3 !== 0) fail(`${upper} must have two arguments (${upper} key=value)`);
      for (let i = 0; i < args.length; i += 3) {
        if (args[i] === "") fail(`${upper} names can not be blank`);
        pairs.push({ key: args[i], value: args[i + 1] });
      }
      return { kind: keyword, location, pairs };
    }
    case "arg": {
      atLeast(1);
      const decls: ArgDecl[] = args.map((w) => {
        const eq = w.indexOf("=");
        const key = eq < 0 ? w : w.slice(0, eq);
        if (key === "") fail(`ARG names can not be blank`);
        return eq < 0 ? { key } : { key, value: w.slice(eq + 1) };
      });
      return { kind: "arg", location, args: decls };
    }
    case "maintainer":
      atLeast(1);
      return { kind: "maintainer", location, maintainer: args.join(" ") };
    case "expose":
      atLeast(1);
      return { kind: "expose", location, ports: args };
    case "volume":
      atLeast(1);
      for (const v of args) if (v.trim() === "") fail("VOLUME specified can not be an empty string");
      return { kind: "volume", location, volumes: args };
    case "user":
      exactlyOne();
      return { kind: "user", location, user: args[0] };
    case "workdir":
      exactlyOne();
      return { kind: "workdir", location, path: args[0] };
    case "stopsignal":
      exactlyOne();
      return { kind: "stopsignal", location, signal: args[0] };
    case "shell":
      atLeast(1);
      if (!node.json) fail(`SHELL requires the arguments to be in JSON form, e.g. SHELL ["/bin/sh", "-c"]`);
      return { kind: "shell", location, shell: args };
    case "cmd":
    case "entrypoint":
      return { kind: keyword, location, cmdLine: args, prependShell: !node.json && args.length > 0 };
    case "onbuild": {
      atLeast(1);
      const expression = node.original.replace(/^\s*onbuild\s+/i, "").trim();
      const trigger = expression.split(/\s/, 1)[0].toUpperCase();
      if (trigger === "ONBUILD") fail("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trigger === "FROM" || trigger === "MAINTAINER") fail(`${trigger} isn't allowed as an ONBUILD trigger`);
      return { kind: "onbuild", location, expression };
    }
    case "healthcheck":
      return parseHealthcheck(args, node, flags, location, fail);
  }
  return fail(`unknown instruction: ${upper}`);
}

function parseHealthcheck(
  args: string[],
  node: Node,
  flags: ReturnType<typeof parseFlags>,
  location: SourceLocation,
  fail: (msg: string) => never,
): HealthcheckInstruction {
  if (args.length === 0) fail("HEALTHCHECK requires an argument (CMD or NONE)");
  const type = args[0].toUpperCase();
  if (type === "NONE") {
    if (args.length > 1 || flags.strings.size > 0) fail("HEALTHCHECK NONE takes no arguments or flags");
    return { kind: "healthcheck", location, test: ["NONE"] };
  }
  if (type !== "CMD") fail(`unknown type "${args[0]}" in HEALTHCHECK (try CMD)`);
  const cmd = args.slice(1);
  if (cmd.length === 0) fail("HEALTHCHECK CMD requires a command");
  const test = node.json ? ["CMD", ...cmd] : ["CMD-SHELL", cmd.join(" ")];
  const duration = (name: string): number | undefined => {
    const raw = flags.strings.get(name);
    if (raw === undefined) return undefined;
    const ns = parseGoDuration(raw);
    if (ns === undefined) fail(`invalid duration for --${name}: "${raw}"`);
    if (ns! < 0 || (ns! > 0 && ns! < 1e6)) fail(`--${name} cannot be less than 1ms: "${raw}"`);
    return ns;
  };
  const out: HealthcheckInstruction = { kind: "healthcheck", location, test };
  out.interval = duration("interval");
  out.timeout = duration("timeout");
  out.startPeriod = duration("start-period");
  out.startInterval = duration("start-interval");
  const retries = flags.strings.get("retries");
  if (retries !== undefined) {
    if (!/^-?\d+$/.test(retries)) fail(`invalid --retries value "${retries}": expected an integer`);
    out.retries = parseInt(retries, 10);
    if (out.retries < 0) fail("--retries cannot be negative");
  }
  for (const k of ["interval", "timeout", "startPeriod", "startInterval", "retries"] as const) {
    if (out[k] === undefined) delete out[k];
  }
  return out;
}

/** Whether a `--chmod` value is an octal mode or a chmod(1) symbolic mode list. */
export function isValidChmod(mode: string): boolean {
  return /^[0-7]{3,4}$/.test(mode) || /^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$/.test(mode);
}

/** Splits a parsed Dockerfile into global ARGs and stages of typed instructions. */
export function parseDockerfileSpec(result: ParseResult, file: string): DockerfileSpec {
  const metaArgs: ArgInstruction[] = [];
  const stages: StageSpec[] = [];
  for (const child of result.ast.children) {
    const inst = parseInstruction(child, file);
    if (inst.kind === "from") {
      stages.push({ index: stages.length, from: inst, name: inst.name?.toLowerCase(), commands: [] });
    } else if (stages.length === 0) {
      if (inst.kind !== "arg") {
        throw new DockerfileError(
          file,
          child.startLine,
          `${child.value.toUpperCase()} before the first FROM: only ARG may come before FROM`,
        );
      }
      metaArgs.push(inst);
    } else {
      stages[stages.length - 1].commands.push(inst);
    }
  }
  if (stages.length === 0) throw new DockerfileError(file, undefined, "the Dockerfile has no FROM instruction");
  const seen = new Map<string, number>();
  for (const s of stages) {
    if (!s.name) continue;
    const prev = seen.get(s.name);
    if (prev !== undefined) {
      throw new DockerfileError(
        file,
        s.from.location.startLine,
        `duplicate stage name "${s.from.name}" (first used on line ${prev})`,
      );
    }
    seen.set(s.name, s.from.location.startLine);
  }
  return { metaArgs, stages, escapeToken: result.escapeToken };
}
