/**
 * Typed Dockerfile instructions, one interface per keyword, as BuildKit's `instructions` package models them.
 * Words that BuildKit expands with variables are kept unexpanded here: expansion needs the stage's environment,
 * which only the converter knows.
 */
import type { Heredoc } from "../parser/mod.ts";
import type { SourceLocation } from "../../graph/mod.ts";

interface Base {
  location: SourceLocation;
}

/** `KEY=value` pair of ENV and LABEL (unexpanded). */
export interface KeyValue {
  key: string;
  value: string;
}

export interface FromInstruction extends Base {
  kind: "from";
  image: string;
  /** Stage name as written (compare lowercased). */
  name?: string;
  platform?: string;
}

export interface RunInstruction extends Base {
  kind: "run";
  /** Shell form: one element, the command text; exec form: the argv. */
  cmdLine: string[];
  prependShell: boolean;
  heredocs: Heredoc[];
  /** `--mount` values as written. */
  mounts: string[];
  network?: string;
  security?: string;
}

export interface CopyInstruction extends Base {
  kind: "copy" | "add";
  /** Sources as written; heredoc sources are `<<NAME` words matched with `heredocs`. */
  sources: string[];
  dest: string;
  heredocs: Heredoc[];
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  excludes: string[];
  checksum?: string;
  keepGitDir: boolean;
  /** `ADD --unpack`: undefined unless given (local archives unpack, URLs do not). */
  unpack?: boolean;
}

export interface EnvInstruction extends Base {
  kind: "env";
  pairs: KeyValue[];
}

export interface LabelInstruction extends Base {
  kind: "label";
  pairs: KeyValue[];
}

/** One ARG name with its optional default (unexpanded); `undefined` means declared without a default. */
export interface ArgDecl {
  key: string;
  value?: string;
}

export interface ArgInstruction extends Base {
  kind: "arg";
  args: ArgDecl[];
}

export interface MaintainerInstruction extends Base {
  kind: "maintainer";
  maintainer: string;
}

export interface ExposeInstruction extends Base {
  kind: "expose";
  ports: string[];
}

export interface VolumeInstruction extends Base {
  kind: "volume";
  volumes: string[];
}

export interface UserInstruction extends Base {
  kind: "user";
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: "workdir";
  path: string;
}

export interface ShellInstruction extends Base {
  kind: "shell";
  shell: string[];
}

export interface StopSignalInstruction extends Base {
  kind: "stopsignal";
  signal: string;
}

/** HEALTHCHECK; `test` is `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", command]`; durations in ns. */
export interface HealthcheckInstruction extends Base {
  kind: "healthcheck";
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export interface OnbuildInstruction extends Base {
  kind: "onbuild";
  /** The trigger as stored in the image config (`RUN echo hi`). */
  expression: string;
}

export interface CmdInstruction extends Base {
  kind: "cmd" | "entrypoint";
  cmdLine: string[];
  prependShell: boolean;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CopyInstruction
  | EnvInstruction
  | LabelInstruction
  | ArgInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ShellInstruction
  | StopSignalInstruction
  | HealthcheckInstruction
  | OnbuildInstruction
  | CmdInstruction;

/** A `FROM` and the instructions under it. */
export interface StageSpec {
  index: number;
  from: FromInstruction;
  /** Lowercased `AS` name. */
  name?: string;
  commands: Instruction[];
}

/** A whole Dockerfile as instructions: ARGs before the first FROM, then the stages. */
export interface DockerfileSpec {
  metaArgs: ArgInstruction[];
  stages: StageSpec[];
  escapeToken: "\\" | "`";
}
