/**
 * ADD's local archive extraction: tar, gzip, bzip2 and xz recognised by magic bytes (never by name), unpacked
 * streaming into a directory of the destination root with every entry path resolved inside that root.
 * @module
 */
import tar from "tar-stream";
import { cleanPath, resolveInRoot } from "../context/mod.ts";
import type { ModeFn } from "./chmod.ts";
import { FileOpError } from "./errors.ts";
import { clearForWrite, lstatOrNull, mkdirAllInRoot, type Owner, setMeta } from "./meta.ts";

export type ArchiveKind = "tar" | "gzip" | "bzip2" | "xz";

/** Reads the head of a file and names its archive format, or null when it is not one ADD extracts. */
export async function sniffArchive(path: string): Promise<ArchiveKind | null> {
  const f = await Deno.open(path, { read: true });
  const head = new Uint8Array(512);
  let n = 0;
  try {
    while (n < head.length) {
      const r = await f.read(head.subarray(n));
      if (r === null) break;
      n += r;
    }
  } finally {
    f.close();
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (n >= 3 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68) return "bzip2";
  if (n >= 6 && [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => head[i] === b)) return "xz";
  if (n >= 512 && isTarHeader(head)) return "tar";
  return null;
}

/** A tar header whose checksum field matches its bytes (covers ustar, GNU and v7 archives). */
function isTarHeader(h: Uint8Array): boolean {
  const field = new TextDecoder().decode(h.subarray(148, 156)).replace(/[\0 ]+$/, "").trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return parseInt(field, 8) === sum;
}

/** The decompressed tar byte stream of an archive file; bzip2/xz go through the system tools. */
async function tarStream(
  path: string,
  kind: ArchiveKind,
): Promise<{ stream: ReadableStream<Uint8Array>; done: () => Promise<void> }> {
  const file = await Deno.open(path, { read: true });
  if (kind === "tar") return { stream: file.readable, done: async () => {} };
  if (kind === "gzip") {
    return { stream: file.readable.pipeThrough(new DecompressionStream("gzip")), done: async () => {} };
  }
  const tool = kind === "bzip2" ? "bzip2" : "xz";
  const child = new Deno.Command(tool, { args: ["-dc"], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const feeding = file.readable.pipeTo(child.stdin).catch(() => {});
  const errText = new Response(child.stderr).text();
  return {
    stream: child.stdout,
    done: async () => {
      await feeding;
      const status = await child.status;
      if (!status.success) throw new Error(`${tool} -dc exited with ${status.code}: ${(await errText).trim()}`);
    },
  };
}

interface TarHeader {
  name: string;
  type: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string | null;
}

/**
 * Extracts `archive` into `destDir` (absolute inside `destRoot`). Owners come from the archive unless `owner`
 * is given; `..` and absolute entry names are clamped to `destDir`, and links resolve inside `destRoot`.
 */
export async function extractArchive(
  archive: string,
  kind: ArchiveKind,
  destRoot: string,
  destDir: string,
  owner: Owner | null,
  chmod: ModeFn | null,
  what: string,
): Promise<void> {
  const base = cleanPath("/" + destDir);
  mkdirAllInRoot(destRoot, base, 0o755, owner ?? { uid: 0, gid: 0 }, what);
  const { stream, done } = await tarStream(archive, kind);
  const ex = tar.extract();
  const pump = (async () => {
    try {
      for await (const chunk of stream) {
        if (!ex.write(chunk)) await new Promise<void>((r) => ex.once("drain", () => r()));
      }
      // streamx types demand an argument; undefined ends without writing more.
      ex.end(undefined);
    } catch (e) {
      ex.destroy(e as Error);
    }
  })();
  const dirTimes: [string, Date][] = [];
  const inDest = (name: string) => cleanPath(base + "/" + cleanPath("/" + name));
  try {
    for await (const entry of ex) {
      const h = entry.header as TarHeader;
      const path = inDest(h.name);
      if (path === base && h.type === "directory") {
        entry.resume();
        continue;
      }
      const parent = path.slice(0, path.lastIndexOf("/")) || "/";
      mkdirAllInRoot(destRoot, parent, 0o755, owner ?? { uid: 0, gid: 0 }, what);
      const host = resolveInRoot(destRoot, path, false);
      const o = owner ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 };
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case "directory": {
          const st = lstatOrNull(host);
          if (st && !st.isDirectory) Deno.removeSync(host);
          if (!st || !st.isDirectory) Deno.mkdirSync(host);
          setMeta(host, o, chmod ? chmod(mode, true) : mode, null, false);
          if (h.mtime) dirTimes.push([host, h.mtime]);
          entry.resume();
          break;
        }
        case "file":
        case "contiguous-file": {
          clearForWrite(host, what, path);
          const out = await Deno.open(host, { write: true, create: true, truncate: true, mode: 0o600 });
          const w = out.writable.getWriter();
          try {
            for await (const chunk of entry) await w.write(chunk as Uint8Array);
          } finally {
            await w.close();
          }
          setMeta(host, o, chmod ? chmod(mode, false) : mode, h.mtime ?? null, false);
          break;
        }
        case "symlink":
          clearForWrite(host, what, path);
          Deno.symlinkSync(h.linkname ?? "", host);
          setMeta(host, o, null, h.mtime ?? null, true);
          entry.resume();
          break;
        case "link": {
          const target = resolveInRoot(destRoot, inDest(h.linkname ?? ""), false);
          if (lstatOrNull(target) === null) {
            throw new FileOpError(
              `${what} failed: archive ${archive}: hardlink ${h.name} points to missing ${h.linkname}`,
            );
          }
          clearForWrite(host, what, path);
          Deno.linkSync(target, host);
          entry.resume();
          break;
        }
        default:
          // Devices and fifos need mknod, which a rootless build cannot do; skipped like rootless BuildKit.
          entry.resume();
      }
    }
  } catch (e) {
    if (e instanceof FileOpError) throw e;
    throw new FileOpError(`${what} failed: extracting archive ${archive}: ${(e as Error).message}`, { cause: e });
  } finally {
    await pump;
  }
  try {
    await done();
  } catch (e) {
    throw new FileOpError(`${what} failed: extracting archive ${archive}: ${(e as Error).message}`, { cause: e });
  }
  for (const [host, t] of dirTimes.reverse()) Deno.utimeSync(host, t, t);
}
