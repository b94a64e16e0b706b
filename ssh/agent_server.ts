import { SshError } from "./errors.ts";
import { type AgentKey, loadKeys } from "./keys.ts";
import { net, type NetServer, type NetSocket, ssh2 } from "./node.ts";
import type { SshSpec } from "./spec.ts";

/** Who may connect to a socket file: applied with chown/chmod after listening (RUN `--mount=type=ssh` uid/gid/mode). */
export interface SocketOwner {
  uid: number;
  gid: number;
  mode: number;
}

const REQUEST_IDENTITIES = 11;
const SIGN_REQUEST = 13;
const FAILURE = new Uint8Array([0, 0, 0, 1, 5]);
/** OpenSSH's agent refuses messages over 256 KiB too. */
const MAX_MESSAGE = 256 * 1024;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** One listening socket file of an agent. */
export interface AgentSocket {
  readonly path: string;
  /** Stops this socket only (the agent keeps serving its others) and removes the file. */
  close(): Promise<void>;
}

type Backend = { kind: "keys"; keys: AgentKey[] } | { kind: "proxy"; socket: string };

/**
 * An SSH agent for one `--ssh` id during one build. With key files, tsbuild answers the agent protocol itself
 * (identity listing and signing only), so the private keys never leave this process; otherwise every connection is
 * relayed to an existing agent socket (`$SSH_AUTH_SOCK`, or a socket given as the path).
 */
export class SshAgentServer {
  readonly id: string;
  /** The first socket, owned by the build process with mode 0600. */
  readonly socketPath: string;
  #backend: Backend;
  #dir: string;
  #count = 0;
  #servers = new Set<NetServer>();
  #closers = new Map<NetServer, () => Promise<void>>();
  #conns = new Set<NetSocket>();

  private constructor(id: string, dir: string, backend: Backend) {
    this.id = id;
    this.#dir = dir;
    this.socketPath = `${dir}/agent-${id}.sock`;
    this.#backend = backend;
  }

  /** Loads the keys (or finds the agent to forward) and listens on a fresh unix socket in `dir`. */
  static async start(spec: SshSpec, dir: string): Promise<SshAgentServer> {
    const flag = spec.paths.length ? `${spec.id}=${spec.paths.join(",")}` : spec.id;
    let backend: Backend;
    if (spec.paths.length === 0) {
      const sock = Deno.env.get("SSH_AUTH_SOCK");
      if (!sock) {
        throw new SshError(
          `--ssh ${flag}: SSH_AUTH_SOCK is not set, so there is no agent to forward; start ssh-agent and ssh-add ` +
            `your key, or pass key files with --ssh ${spec.id}=PATH`,
        );
      }
      await requireSocket(sock, `--ssh ${flag}: SSH_AUTH_SOCK=${sock}`);
      backend = { kind: "proxy", socket: sock };
    } else if (spec.paths.length === 1 && (await isSocket(spec.paths[0]))) {
      backend = { kind: "proxy", socket: spec.paths[0] };
    } else {
      const keys = await loadKeys(spec.paths, flag);
      if (keys.length === 0) throw new SshError(`--ssh ${flag}: no private key found in ${spec.paths.join(", ")}`);
      backend = { kind: "keys", keys };
    }
    const server = new SshAgentServer(spec.id, dir, backend);
    await server.listen({ uid: Deno.uid() ?? 0, gid: Deno.gid() ?? 0, mode: 0o600 }, server.socketPath);
    return server;
  }

  /**
   * Listens on one more socket file serving the same agent, owned and moded for a RUN's user (default: a fresh
   * name in the agent's dir). A RUN gets its own socket so one mount's uid/mode never loosens another's.
   */
  async listen(owner: SocketOwner, path = `${this.#dir}/run-${++this.#count}.sock`): Promise<AgentSocket> {
    const server = net.createServer((conn) => this.#serve(conn));
    await new Promise<void>((resolve, reject) => {
      server.once(
        "error",
        (e: Error) =>
          reject(new SshError(`ssh agent ${this.id}: cannot listen on ${path}: ${e.message}`, { cause: e })),
      );
      server.listen(path, () => resolve());
    });
    this.#servers.add(server);
    const close = async () => {
      if (!this.#servers.delete(server)) return;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Deno.remove(path).catch(() => {});
    };
    try {
      await Deno.chown(path, owner.uid, owner.gid);
      await Deno.chmod(path, owner.mode & 0o777);
    } catch (e) {
      await close();
      throw new SshError(
        `ssh agent ${this.id}: cannot give ${path} to ${owner.uid}:${owner.gid}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.#closers.set(server, close);
    return { path, close };
  }

  /** Stops listening, drops open connections and removes the socket files. */
  async close(): Promise<void> {
    for (const c of this.#conns) c.destroy();
    this.#conns.clear();
    await Promise.all([...this.#closers.values()].map((close) => close()));
    this.#closers.clear();
  }

  #serve(conn: NetSocket): void {
    this.#conns.add(conn);
    conn.on("close", () => this.#conns.delete(conn));
    conn.on("error", () => conn.destroy());
    const backend = this.#backend;
    if (backend.kind === "proxy") {
      const up = net.connect(backend.socket);
      up.on("error", () => conn.destroy());
      up.on("close", () => conn.destroy());
      conn.on("close", () => up.destroy());
      conn.pipe(up).pipe(conn);
      return;
    }
    const proto = new ssh2.AgentProtocol(false);
    proto.on("error", () => conn.destroy());
    proto.on("identities", (req) => proto.getIdentitiesReply(req, backend.keys.map((k) => k.key)));
    proto.on("sign", (req, pubKey, data, flags) => {
      const blob = pubKey.getPublicSSH();
      const key = backend.keys.find((k) => k.publicBlob.equals(blob));
      if (!key) return proto.failureReply(req);
      try {
        proto.signReply(req, key.sign(data, flags.hash));
      } catch {
        proto.failureReply(req);
      }
    });
    proto.pipe(conn);
    conn.on("close", () => proto.destroy());
    // ssh2's server mode mis-frames requests it does not know when they carry a body (OpenSSH's ssh sends the
    // `session-bind@openssh.com` extension first), so only whole identity and sign requests reach it; anything
    // else gets SSH_AGENT_FAILURE, which is what OpenSSH's own agent answers for unsupported requests.
    let pending: Uint8Array = new Uint8Array(0);
    conn.on("data", (chunk) => {
      pending = concat(pending, chunk);
      while (pending.length >= 5) {
        const len = new DataView(pending.buffer, pending.byteOffset).getUint32(0);
        if (len > MAX_MESSAGE) return conn.destroy();
        if (pending.length < 4 + len) break;
        const msg = pending.subarray(0, 4 + len);
        pending = pending.slice(4 + len);
        if (len > 0 && (msg[4] === REQUEST_IDENTITIES || msg[4] === SIGN_REQUEST)) proto.write(msg);
        else conn.write(FAILURE);
      }
    });
  }
}

async function isSocket(path: string): Promise<boolean> {
  return await Deno.stat(path).then((s) => s.isSocket === true, () => false);
}

async function requireSocket(path: string, what: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new SshError(`${what}: no such agent socket (${(e as Error).message})`, { cause: e });
  }
  if (!info.isSocket) throw new SshError(`${what} is not a unix socket`);
}
