/**
 * Rules BuildKit checks while it turns the syntax tree into stages, for every stage whether it is built or not:
 * FROM's stage-name casing and `AS` casing, MAINTAINER, description comments, duplicate and reserved stage names,
 * and instruction-keyword casing across the file.
 *
 * @module
 */
import type { Node } from "../parser/mod.ts";
import type { SourceLines } from "./source_text.ts";
import type { LineRange, WarningReporter } from "./warning.ts";

/** An instruction of a stage, with the keyword as written. */
export interface LintCommand {
  node: Node;
  keyword: string;
  range: LineRange;
}

/** A stage as the rules see it. */
export interface LintStage {
  index: number;
  /** Lowercased `AS` name. */
  name?: string;
  from: LintCommand;
  commands: LintCommand[];
}

export function rangeOf(node: Node): LineRange {
  return { startLine: node.startLine, endLine: node.endLine };
}

/** The argument words of a node. */
export function argWords(node: Node): string[] {
  const out: string[] = [];
  for (let n = node.next; n; n = n.next) out.push(n.value);
  return out;
}

const isLower = (s: string) => s === s.toLowerCase();
const isUpper = (s: string) => s === s.toUpperCase();

/** StageNameCasing and FromAsCasing for one FROM, before it is parsed (so they are reported even if it then fails). */
export function checkFromNode(node: Node, keyword: string, report: WarningReporter): void {
  const args = argWords(node);
  if (args.length === 3 && !isLower(args[2])) report.report("StageNameCasing", rangeOf(node), args[2]);
  if (args.length >= 3) {
    // A keyword in mixed case is ConsistentInstructionCasing's business; `as` is only compared with a consistent one.
    const as = args[1];
    const mismatch = isLower(keyword) ? !isLower(as) : isUpper(keyword) ? !isUpper(as) : false;
    if (mismatch) report.report("FromAsCasing", rangeOf(node), keyword, as);
  }
}

/**
 * InvalidDefinitionDescription: a comment right above a named FROM or an ARG documents it only if its first word is
 * the name (`# base the base image`); otherwise BuildKit asks for that format.
 */
export function checkDescription(
  instruction: "FROM" | "ARG",
  names: string[],
  node: Node,
  previousEnd: number,
  lines: SourceLines,
  report: WarningReporter,
): void {
  const comment = lines.commentAbove(node, previousEnd);
  if (comment === undefined || names.length === 0) return;
  if (names.includes(comment.split(" ")[0])) return;
  report.report("InvalidDefinitionDescription", rangeOf(node), instruction, names.length > 1 ? "<arg_key>" : names[0]);
}

const RESERVED = new Set(["context", "scratch"]);

/** ReservedStageName and DuplicateStageName, in stage order. */
export function checkStageNames(stages: LintStage[], report: WarningReporter): void {
  const seen = new Set<string>();
  for (const s of stages) {
    if (!s.name) continue;
    if (RESERVED.has(s.name)) report.report("ReservedStageName", s.from.range, s.name);
    if (seen.has(s.name)) report.report("DuplicateStageName", s.from.range, s.name);
    seen.add(s.name);
  }
}

/**
 * ConsistentInstructionCasing: keywords in mixed case, or in the minority casing of the file, are reported. Only
 * stage instructions count (ARGs before the first FROM do not), and a tie counts as an uppercase majority.
 */
export function checkInstructionCasing(stages: LintStage[], report: WarningReporter): void {
  const all = stages.flatMap((s) => [s.from, ...s.commands]);
  let lower = 0;
  let upper = 0;
  for (const c of all) {
    if (isLower(c.keyword)) lower++;
    else if (isUpper(c.keyword)) upper++;
  }
  const majorityLower = lower > upper;
  for (const c of all) {
    if (majorityLower && !isLower(c.keyword)) {
      report.report("ConsistentInstructionCasing", c.range, c.keyword, "lowercase");
    } else if (!majorityLower && !isUpper(c.keyword)) {
      report.report("ConsistentInstructionCasing", c.range, c.keyword, "uppercase");
    }
  }
}
