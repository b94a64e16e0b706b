import { SshError } from "./errors.ts";
import { Buffer, type NodeBuffer, type ParsedKey, ssh2 } from "./node.ts";

/** A private key held by the tsbuild process, answering sign requests in the agent protocol's wire format. */
export class AgentKey {
  readonly publicBlob: NodeBuffer;
  constructor(readonly key: ParsedKey, readonly source: string) {
    this.publicBlob = key.getPublicSSH();
  }

  /** The signature blob as OpenSSH's agent sends it (without the algorithm name, which the protocol adds). */
  sign(data: Uint8Array, hash?: string): Uint8Array {
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
