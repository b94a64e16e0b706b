/** What instruction dispatch needs from the converter: vertices, expansion, and cross-stage lookups. */
import type { VertexId } from "../../graph/mod.ts";
import { ShellExpansionError, type ShellLex } from "../shell/mod.ts";
import { type ArgDecl, DockerfileError } from "../instructions/mod.ts";
import type { StageState, VertexList } from "./state.ts";
import type { OutlineCapture } from "./outline.ts";

export interface DispatchContext {
  file: string;
  lex: ShellLex;
  graph: VertexList;
  /** The LocalVertex of the main build context (created on first use, so unused contexts are never read). */
  contextVertex(): VertexId;
  /**
   * The vertex a `--from` (`what` "copy") or mount `from=` ("mount") names: an earlier stage (name or index), a
   * named build context, or an image.
   */
  resolveFrom(name: string, state: StageState, line: number, what?: "copy" | "mount"): Promise<VertexId>;
  /** The value a stage-level ARG takes: --build-arg, else its default, else the global ARG's value. */
  argValue(decl: ArgDecl, defaultValue: string | undefined): string | undefined;
  /** Whether a stage ARG without a default takes the global ARG's value (no --build-arg gives it one). */
  inheritsGlobalArg(key: string): boolean;
  /** Set for `--call=outline`: told about every ARG and secret or SSH mount as the stages are converted. */
  readonly outline?: OutlineCapture;
  /** `KEY=value` of proxy build args, given to RUN without being declared and never recorded in history. */
  proxyEnv(): string[];
  warn(message: string, line?: number): void;
}

/** Expands one word, turning a lexer failure into an error that names the Dockerfile line. */
export function expandWord(
  ctx: DispatchContext,
  word: string,
  env: Record<string, string>,
  line: number,
): string {
  try {
    return ctx.lex.processWord(word, env);
  } catch (e) {
    if (e instanceof ShellExpansionError) throw new DockerfileError(ctx.file, line, e.message, { cause: e });
    throw e;
  }
}
