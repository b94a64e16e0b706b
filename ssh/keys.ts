import { sign as nodeSign } from "node:crypto";
import { SshError } from "./errors.ts";
import { Buffer, type NodeBuffer, type ParsedKey, ssh2 } from "./node.ts";

/** A private key held by the tsbuild process, answering sign requests in the agent protocol's wire format. */
export class AgentKey {
  readonly publicBlob: NodeBuffer;
  constructor(readonly key: ParsedKey, readonly source: string) {
    this.publicBlob = key.getPublicSSH();
  }

  #ecPem?: string;

  /**
   * ECDSA signs with node:crypto from a repaired SEC1 key: ssh2 copies OpenSSH's private scalar (an mpint, with a
   * leading zero byte when its top bit is set) into the SEC1 octet string as is, which Deno's strict parser
   * rejects ("invalid SEC1 private key") for about half of all keys.
   */
  #signEcdsa(data: Uint8Array): Uint8Array {
    const curve = this.key.type.slice("ecdsa-sha2-".length);
    const size = ({ nistp256: 32, nistp384: 48, nistp521: 66 } as Record<string, number>)[curve];
    const hash = ({ nistp256: "sha256", nistp384: "sha384", nistp521: "sha512" } as Record<string, string>)[curve];
    if (!size || !hash) throw new SshError(`ssh key ${this.source}: unsupported ECDSA curve ${curve}`);
    this.#ecPem ??= repairSec1(this.key.getPrivatePEM(), size);
    try {
      return new Uint8Array(nodeSign(hash, data, this.#ecPem));
    } catch (e) {
      throw new SshError(`ssh key ${this.source}: signing failed: ${(e as Error).message}`, { cause: e });
    }
  }

  /** The signature blob as OpenSSH's agent sends it (without the algorithm name, which the protocol adds). */
  sign(data: Uint8Array, hash?: string): Uint8Array {
    if (this.key.type.startsWith("ecdsa-")) return Buffer.from(derToSshEcdsa(this.#signEcdsa(data)));
    const sig = this.key.sign(data, hash);
    if (sig instanceof Error) {
      throw new SshError(`ssh key ${this.source}: signing failed: ${sig.message}`, { cause: sig });
    }
    // OpenSSL gives ECDSA signatures as DER; SSH wants mpint r, mpint s (RFC 5656 section 3.1.2).
    // ssh2 insists on a Buffer.
    return this.key.type.startsWith("ecdsa-") ? Buffer.from(derToSshEcdsa(sig)) : sig;
  }
}

/** Reads and parses private keys; each file may hold several. Keys with a passphrase are refused clearly. */
export async function loadKeys(paths: string[], flag: string): Promise<AgentKey[]> {
  const keys: AgentKey[] = [];
  for (const path of paths) {
    let data: Uint8Array;
    try {
      data = await Deno.readFile(path);
    } catch (e) {
      throw new SshError(`--ssh ${flag}: cannot read key file ${path}: ${(e as Error).message}`, { cause: e });
    }
    const parsed = ssh2.utils.parseKey(Buffer.from(data));
    data.fill(0);
    if (parsed instanceof Error) {
      const msg = /passphrase/i.test(parsed.message)
        ? "the key is protected by a passphrase; add it to an ssh-agent (ssh-add) and pass --ssh " +
          `${flag.split("=")[0]} to forward the agent instead`
        : `not a supported private key (${parsed.message})`;
      throw new SshError(`--ssh ${flag}: ${path}: ${msg}`, { cause: parsed });
    }
    for (const key of Array.isArray(parsed) ? parsed : [parsed]) {
      if (!key.isPrivateKey()) throw new SshError(`--ssh ${flag}: ${path} is a public key; give the private key file`);
      keys.push(new AgentKey(key, path));
    }
  }
  return keys;
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` → SSH `string(mpint r, mpint s)` content. */
function derToSshEcdsa(der: Uint8Array): Uint8Array {
  let p = 0;
  const readLen = (): number => {
    let len = der[p++];
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | der[p++];
    }
    return len;
  };
  if (der[p++] !== 0x30) throw new SshError("ssh agent: unexpected ECDSA signature encoding");
  readLen();
  const ints: Uint8Array[] = [];
  for (let i = 0; i < 2; i++) {
    if (der[p++] !== 0x02) throw new SshError("ssh agent: unexpected ECDSA signature encoding");
    const len = readLen();
    ints.push(der.subarray(p, p + len));
    p += len;
  }
  // DER integers are already minimal two's complement, which is exactly the mpint encoding.
  const out = new Uint8Array(8 + ints[0].length + ints[1].length);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const n of ints) {
    view.setUint32(o, n.length);
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}

/** DER TLV reading and writing, just enough for SEC1 `ECPrivateKey`. */
function readTlv(der: Uint8Array, p: number): { tag: number; start: number; end: number; next: number } {
  const tag = der[p++];
  let len = der[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[p++];
  }
  return { tag, start: p, end: p + len, next: p + len };
}

function writeTlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(body, 1 + len.length);
  return out;
}

/** Rewrites a SEC1 PEM so its private key octet string is exactly `size` bytes (left-padded or zero-stripped). */
function repairSec1(pem: string, size: number): string {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const seq = readTlv(der, 0);
  const parts: Uint8Array[] = [];
  for (let p = seq.start; p < seq.end;) {
    const t = readTlv(der, p);
    let body = der.subarray(t.start, t.end);
    if (t.tag === 0x04) {
      let key = body;
      while (key.length > size && key[0] === 0) key = key.subarray(1);
      if (key.length < size) {
        const padded = new Uint8Array(size);
        padded.set(key, size - key.length);
        key = padded;
      }
      body = key;
    }
    parts.push(writeTlv(t.tag, body));
    p = t.next;
  }
  const inner = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    inner.set(x, o);
    o += x.length;
  }
  const fixed = writeTlv(0x30, inner);
  const text = btoa(String.fromCharCode(...fixed)).replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN EC PRIVATE KEY-----\n${text}-----END EC PRIVATE KEY-----\n`;
}
