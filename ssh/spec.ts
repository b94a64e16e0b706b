import { SshError } from "./errors.ts";

/**
 * One `--ssh` flag: the id RUN `--mount=type=ssh,id=…` asks for, and the private key files (or one agent socket)
 * to serve under it. No paths means "forward the agent in `$SSH_AUTH_SOCK`".
 */
export interface SshSpec {
  id: string;
  paths: string[];
}

const ID = /^[A-Za-z0-9_.-]+$/;

/**
 * Parses `--ssh` the way buildx does: `default`, `ID` (both forward `$SSH_AUTH_SOCK`) or `ID=PATH[,PATH…]`.
 *
 * @example
 * ```ts
 * parseSshSpec("default");                 // { id: "default", paths: [] }
 * parseSshSpec("gh=/k/id_ed25519,/k/rsa");  // { id: "gh", paths: ["/k/id_ed25519", "/k/rsa"] }
 * ```
 */
export function parseSshSpec(spec: string): SshSpec {
  const eq = spec.indexOf("=");
  const id = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  if (!id) throw new SshError(`--ssh ${spec}: the id before "=" is empty (use --ssh default or --ssh ID=PATH)`);
  if (!ID.test(id)) throw new SshError(`--ssh ${spec}: id "${id}" may only contain letters, digits, ".", "_" and "-"`);
  if (eq < 0) return { id, paths: [] };
  const paths = spec.slice(eq + 1).split(",").map((p) => p.trim());
  if (paths.some((p) => p === "")) {
    throw new SshError(`--ssh ${spec}: empty path after "=" (give key files or an agent socket, separated by ",")`);
  }
  return { id, paths };
}
