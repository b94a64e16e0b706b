/**
 * `ADD <url>`: streamed download into the destination, digest verified before the file becomes visible,
 * named from the URL path (or the destination when that is not a directory), mode 0600, mtime from Last-Modified.
 * Extracted only with `--unpack=true` (Dockerfile 1.17; a local archive is extracted unless `--unpack=false`).
 * @module
 */
import type { FileAction } from "../graph/types.ts";
import { resolveInRoot } from "../context/mod.ts";
import type { ModeFn } from "./chmod.ts";
import type * as NodeCrypto from "node:crypto";
import { nodeCrypto } from "../runtime/builtins.ts";
import { FileOpError } from "./errors.ts";
import { clearForWrite, mkdirAllInRoot, type Owner, setMeta } from "./meta.ts";
import { extractArchive, sniffArchive } from "./archive.ts";

export type HttpAction = Extract<FileAction, { action: "http" }>;

// node:crypto because WebCrypto cannot hash a stream incrementally.

const ALGS: Record<string, string> = { sha256: "sha256", sha384: "sha384", sha512: "sha512" };

/** Writes `body` to the new file `path` (mode 0600), feeding every chunk to `hash` on the way. */
export async function writeHashed(
  body: ReadableStream<Uint8Array>,
  path: string,
  hash: NodeCrypto.Hash,
): Promise<void> {
  const out = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  const w = out.writable.getWriter();
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      await w.write(chunk);
    }
  } finally {
    await w.close().catch(() => {});
  }
}

/** Downloads `a.url` into `destRoot`; throws FileOpError naming the URL on HTTP failure or digest mismatch. */
export async function applyHttp(
  a: HttpAction,
  destRoot: string,
  owner: Owner,
  chmod: ModeFn | null,
  opts: { fetch?: typeof fetch; signal?: AbortSignal },
): Promise<void> {
  let alg: string | undefined, want: string | undefined;
  if (a.checksum) {
    const m = /^([a-z0-9]+):([0-9a-f]+)$/.exec(a.checksum);
    if (!m || !ALGS[m[1]]) {
      throw new FileOpError(`ADD failed: unsupported checksum ${JSON.stringify(a.checksum)} for ${a.url}`);
    }
    [alg, want] = [m[1], m[2]];
  }
  const url = new URL(a.url);
  const name = a.filename || decodeURIComponent(url.pathname.split("/").filter(Boolean).pop() ?? "");
  const dest = a.dest || "/";
  let destIsDir = a.destIsDir;
  try {
    destIsDir ||= Deno.statSync(resolveInRoot(destRoot, dest, true)).isDirectory;
  } catch { /* missing: a file path */ }
  if (destIsDir && !name) throw new FileOpError(`ADD failed: cannot determine a file name from ${a.url}`);
  const target = destIsDir ? dest.replace(/\/+$/, "") + "/" + name : dest;
  const parent = target.slice(0, target.lastIndexOf("/")) || "/";
  mkdirAllInRoot(destRoot, parent, 0o755, owner, "ADD");
  const host = resolveInRoot(destRoot, target, false);

  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(a.url, { signal: opts.signal });
  } catch (e) {
    throw new FileOpError(`ADD failed: downloading ${a.url}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new FileOpError(`ADD failed: downloading ${a.url}: HTTP ${res.status} ${res.statusText}`);
  }
  // Write beside the target and rename, so a failed or mismatching download leaves nothing behind.
  const tmp = `${host}.tsbuild-download-${crypto.randomUUID()}`;
  const hash = nodeCrypto().createHash(alg ?? "sha256");
  try {
    await writeHashed(res.body, tmp, hash);
    const got = hash.digest("hex");
    if (want && got !== want) {
      throw new FileOpError(`ADD failed: checksum mismatch for ${a.url}: expected ${alg}:${want}, got ${alg}:${got}`);
    }
    // --unpack=true: an archive is extracted into the destination as a local one is (--chown applies, never
    // --chmod); anything else lands as a plain download.
    const kind = a.unpack ? await sniffArchive(tmp) : null;
    if (kind) {
      await extractArchive(tmp, kind, destRoot, dest, a.chown !== undefined ? owner : null, null, "ADD");
      Deno.removeSync(tmp);
      return;
    }
    clearForWrite(host, "ADD", target);
    Deno.renameSync(tmp, host);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    if (e instanceof FileOpError) throw e;
    throw new FileOpError(`ADD failed: downloading ${a.url}: ${(e as Error).message}`, { cause: e });
  }
  const lm = res.headers.get("last-modified");
  const mtime = lm && !isNaN(Date.parse(lm)) ? new Date(Date.parse(lm)) : null;
  setMeta(host, owner, chmod ? chmod(0o600, false) : 0o600, mtime, false);
}
