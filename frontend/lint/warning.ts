/**
 * The warnings the rules produce, and the reporter that filters them through the check configuration.
 *
 * @module
 */
import { type CheckConfig, ruleEnabled } from "./check_config.ts";
import { MESSAGES, type RuleName, RULES } from "./rules.ts";

/** One build-check violation, as BuildKit reports it. */
export interface LintWarning {
  /** Rule name, e.g. `JSONArgsRecommended`. */
  rule: string;
  /** The specific message (BuildKit's "detail"), e.g. `JSON arguments recommended for CMD to …`. */
  message: string;
  /** 1-based first line of the instruction the warning is about. */
  line: number;
  /** 1-based last line of that instruction (same as `line` for one-line instructions). */
  endLine: number;
  /** BuildKit's documentation URL for the rule. */
  url: string;
  /** The rule's general description. */
  description: string;
}

/** Where a rule found something: an instruction's line range. */
export interface LineRange {
  startLine: number;
  endLine: number;
}

/** Collects warnings for enabled rules, in the order BuildKit emits them. */
export class WarningReporter {
  readonly warnings: LintWarning[] = [];
  constructor(readonly config: CheckConfig) {}

  report<R extends RuleName>(name: R, at: LineRange, ...args: Parameters<(typeof MESSAGES)[R]>): void {
    const rule = RULES[name];
    if (!ruleEnabled(rule, this.config)) return;
    const format = MESSAGES[name] as (...a: typeof args) => string;
    this.warnings.push({
      rule: rule.name,
      message: format(...args),
      line: at.startLine,
      endLine: at.endLine,
      url: rule.url,
      description: rule.description,
    });
  }
}
