/**
 * The Node surface the agent uses (unix sockets, Buffer, ssh2), imported by computed name because `@types/node` is
 * not installed here (as snapshotter/node.ts does); only this narrow typed surface is used.
 * @module
 */
import * as netModule from "node:net";
import * as bufferModule from "node:buffer";
import ssh2Module from "ssh2";

/** A node:net socket, as far as piping and teardown go. */
export interface NetSocket {
  pipe<T>(dest: T): T;
  destroy(): void;
  on(event: "close" | "error", cb: (e?: Error) => void): this;
  on(event: "data", cb: (chunk: Uint8Array) => void): this;
  write(data: Uint8Array): boolean;
}

/** A node:net server. */
export interface NetServer {
  listen(path: string, cb: () => void): this;
  once(event: "error", cb: (e: Error) => void): this;
  close(cb: () => void): this;
}

interface NodeNet {
  createServer(onConnection: (c: NetSocket) => void): NetServer;
  connect(path: string): NetSocket;
}

/** A Node Buffer (a Uint8Array with a few helpers). */
export interface NodeBuffer extends Uint8Array {
  equals(other: Uint8Array): boolean;
}

interface NodeBufferModule {
  Buffer: { from(data: Uint8Array): NodeBuffer };
}

/** An ssh2 parsed key (`utils.parseKey`). */
export interface ParsedKey {
  type: string;
  comment: string;
  isPrivateKey(): boolean;
  getPublicSSH(): NodeBuffer;
  getPrivatePEM(): string;
  sign(data: Uint8Array, hash?: string): NodeBuffer | Error;
}

/** ssh2's AgentProtocol in server mode, as far as the agent uses it. */
export interface AgentProtocolServer {
  pipe<T>(dest: T): T;
  write(data: Uint8Array): boolean;
  destroy(): void;
  on(event: "identities", cb: (req: unknown) => void): this;
  on(
    event: "sign",
    cb: (req: unknown, pubKey: ParsedKey, data: NodeBuffer, flags: { hash?: string }) => void,
  ): this;
  on(event: "error", cb: (e: Error) => void): this;
  getIdentitiesReply(req: unknown, keys: ParsedKey[]): void;
  signReply(req: unknown, sig: Uint8Array): void;
  failureReply(req: unknown): void;
}

interface Ssh2 {
  AgentProtocol: new (isClient: boolean) => AgentProtocolServer;
  utils: { parseKey(data: NodeBuffer): ParsedKey | ParsedKey[] | Error };
}

export const net = netModule as unknown as NodeNet;
export const Buffer = (bufferModule as unknown as NodeBufferModule).Buffer;
export const ssh2: Ssh2 = ssh2Module as unknown as Ssh2;
