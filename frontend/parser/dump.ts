import type { Node } from "./ast.ts";
import { goQuote } from "../shell/mod.ts";
import { trimSpace } from "./split_command.ts";

/**
 * BuildKit's `Node.Dump`: an S-expression per instruction, e.g.
 * `(copy ["--from=a"] "x" "/y")`, used by its parser tests' `result` files.
 */
export function dumpNode(node: Node): string {
  let str = node.value.toLowerCase();
  if (node.flags.length > 0) str += ` [${node.flags.map(goQuote).join(" ")}]`;
  for (const child of node.children) str += "(" + dumpNode(child) + ")\n";
  for (let n = node.next; n; n = n.next) {
    str += " " + (n.children.length > 0 ? dumpNode(n) : goQuote(n.value));
  }
  return trimSpace(str);
}
