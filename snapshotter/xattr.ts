import { run } from "./mount.ts";

/** The extended attributes of one path. */
export interface XattrSet {
  path: string;
  attrs: Record<string, Uint8Array>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** getfattr's path quoting: bytes that are unprintable, whitespace, `\` or `=` as `\ooo`. */
function quote(s: string): string {
  let out = "";
  for (const b of enc.encode(s)) {
    out += b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x3d
      ? "\\" + b.toString(8).padStart(3, "0")
      : String.fromCharCode(b);
  }
  return out;
}

function unquote(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = s[i] === "\\" ? /^[0-7]{3}/.exec(s.slice(i + 1)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 8));
      i += 3;
    } else bytes.push(s.charCodeAt(i));
  }
  return dec.decode(Uint8Array.from(bytes));
}

/** The input of `setfattr --restore`, values base64-encoded so any byte survives. */
export function encodeXattrDump(sets: XattrSet[]): Uint8Array {
  let text = "";
  for (const s of sets) {
    text += `# file: ${quote(s.path)}\n`;
    for (const [k, v] of Object.entries(s.attrs)) text += `${k}=0s${toBase64(v)}\n`;
    text += "\n";
  }
  return enc.encode(text);
}

/**
 * Every extended attribute under `dir` (absolute path → name → value), read with one `getfattr -R` for the whole tree
 * rather than one process per file. Symlinks are neither followed nor descended.
 */
export async function readXattrs(dir: string): Promise<Map<string, Record<string, Uint8Array>>> {
  // getfattr exits non-zero when some file refuses listing, and still prints everything else.
  const out = await run("getfattr", ["-R", "-P", "-h", "-d", "-m", "-", "-e", "base64", "--absolute-names", dir], {
    ignoreStatus: true,
  });
  const result = new Map<string, Record<string, Uint8Array>>();
  let current: Record<string, Uint8Array> | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("# file: ")) {
      current = {};
      result.set(unquote(line.slice(8)), current);
    } else if (current && line.includes("=")) {
      const i = line.indexOf("=");
      const v = line.slice(i + 1);
      current[line.slice(0, i)] = v.startsWith("0s") ? fromBase64(v.slice(2)) : enc.encode(v.replace(/^"|"$/g, ""));
    }
  }
  return result;
}

function toBase64(v: Uint8Array): string {
  let s = "";
  for (const b of v) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}
