import type { Node } from "./ast.ts";
import { DockerfileParseError } from "./errors.ts";
import { knownInstructions } from "./line_parsers.ts";

/** Levenshtein distance over code points. */
function distance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/**
 * The closest known instruction to a mistyped one, if close enough to be a
 * plausible typo (one edit for short words, more for long ones).
 */
export function suggestInstruction(keyword: string): string | undefined {
  const word = keyword.toLowerCase();
  if (word === "") return undefined;
  let best = word.length < 5 ? 1 : word.length > 10 ? 3 : 2;
  let match: string | undefined;
  for (const known of knownInstructions) {
    const d = distance(word, known);
    if (d <= best) {
      best = d;
      match = known;
    }
  }
  return match;
}

/** The keyword as the user wrote it (the node's value is lowercased). */
function writtenKeyword(node: Node): string {
  return node.original.trim().split(/[\t\v\f\r ]+/, 1)[0] || node.value;
}

/**
 * Rejects instructions BuildKit does not know, e.g.
 * `Dockerfile:4: unknown instruction: RUNN (did you mean RUN?)`. Kept apart
 * from parsing because BuildKit's parser itself accepts any keyword; this is
 * the check its instruction layer makes. ONBUILD's wrapped instruction is checked too.
 */
export function validateInstructions(ast: Node, file = "Dockerfile"): void {
  for (const node of ast.children) {
    check(node, node, file);
    if (node.value === "onbuild" && node.next && node.next.children.length > 0) {
      check(node.next.children[0], node, file);
    }
  }
}

function check(node: Node, top: Node, file: string): void {
  if (knownInstructions.includes(node.value)) return;
  const keyword = writtenKeyword(node);
  const suggestion = suggestInstruction(node.value);
  const hint = suggestion ? ` (did you mean ${suggestion.toUpperCase()}?)` : "";
  throw new DockerfileParseError(`unknown instruction: ${keyword}${hint}`, {
    file,
    line: top.startLine,
    source: top.original,
  });
}
