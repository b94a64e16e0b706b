/**
 * SSH agent forwarding for RUN `--mount=type=ssh` (`--ssh` flags): each `--ssh` id gets an agent socket for the
 * build, either answered by tsbuild itself from key files (the keys never leave the tsbuild process) or relayed to
 * an existing agent (`$SSH_AUTH_SOCK`). A RUN sees only a socket; nothing of it enters the cache key or a layer.
 *
 * @example
 * ```ts
 * import { parseSshSpec, SshAgentServer } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const agent = await SshAgentServer.start(parseSshSpec(`default=${Deno.env.get("HOME")}/.ssh/id_ed25519`), dir);
 * const sock = await agent.listen({ uid: 1000, gid: 1000, mode: 0o600 });
 * // ... bind sock.path into the container, SSH_AUTH_SOCK pointing at its target ...
 * await sock.close();
 * await agent.close();
 * ```
 * @module
 */
export { SshError } from "./errors.ts";
export { parseSshSpec, type SshSpec } from "./spec.ts";
export { type AgentSocket, type SocketOwner, SshAgentServer } from "./agent_server.ts";
