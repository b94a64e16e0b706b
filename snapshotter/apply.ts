import { lchownSync, lutimesSync, sha256 } from "./node.ts";
import { basename, dirname, join } from "./path.ts";
import type tar from "tar-stream";
import { LayerApplyError } from "./errors.ts";
import { run } from "./mount.ts";
import { cleanEntryName, resolveInRoot } from "./safe_path.ts";
import { encodeXattrDump, type XattrSet } from "./xattr.ts";
import { paxExtract, rawPax } from "./tar_pax.ts";

/** What applying one layer did. */
export interface ApplyResult {
  /** sha256 of the uncompressed tar: the layer's diffID, to check against the image config. */
  diffID: string;
  entries: number;
}

/** Options of `applyLayer`. */
export interface ApplyOptions {
  /** Where a one-time notice goes (skipped device nodes, refused xattrs). Defaults to console.warn. */
  warn?: (message: string) => void;
  /** Layer name for error messages. */
  label?: string;
}

/**
 * Extracts an uncompressed layer tar into `root`, a directory showing the full tree of the parent (a merged overlay
 * mount, or a native copy): OCI whiteouts become deletions there, so overlay records them in its own form in the
 * upper dir, and hardlinks to lower files get overlay's copy-up. Every path is resolved inside `root`.
 */
export async function applyLayer(
  tarStream: ReadableStream<Uint8Array>,
  root: string,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const warn = onceWarner(opts.warn ?? ((m) => console.warn(m)));
  const label = opts.label ?? "layer";
  const hash = sha256();
  const extract = paxExtract();
  const reader = tarStream.getReader();
  const pump = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        hash.update(value);
        if (extract.destroyed) break;
        if (!extract.write(value)) {
          // "close" too: a failed extraction destroys the extractor, which then never drains.
          await new Promise<void>((r) => {
            const done = () => {
              extract.off("drain", done);
              extract.off("close", done);
              r();
            };
            extract.once("drain", done);
            extract.once("close", done);
          });
        }
      }
      if (!extract.destroyed) extract.end(undefined);
    } catch (e) {
      extract.destroy(e as Error);
    } finally {
      if (extract.destroyed) await reader.cancel().catch(() => {});
    }
  })();

  const written = new Set<string>();
  const dirTimes: { path: string; mtime: Date }[] = [];
  const xattrs: XattrSet[] = [];
  let entries = 0;
  let completed = false;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      entries++;
      try {
        await applyEntry(root, h, entry as AsyncIterable<Uint8Array>, { written, dirTimes, xattrs, warn });
      } catch (e) {
        if (e instanceof LayerApplyError) throw e;
        throw new LayerApplyError(`${label}: cannot apply entry ${JSON.stringify(h.name)}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      entry.resume(); // drain what applyEntry did not read (links, dirs) so the next header comes
    }
    completed = true;
  } catch (e) {
    if (e instanceof LayerApplyError) throw e;
    throw new LayerApplyError(`${label}: corrupt layer archive: ${(e as Error).message}`, { cause: e });
  } finally {
    if (!completed && !extract.destroyed) extract.destroy();
    await pump;
  }
  if (xattrs.length > 0) {
    await run("setfattr", ["-h", "--restore=-"], { stdin: encodeXattrDump(xattrs) }).catch((e) =>
      warn(`some extended attributes of ${label} were not applied: ${(e as Error).message}`)
    );
  }
  // Directory mtimes last, deepest first: creating children would bump them again.
  for (const d of dirTimes.reverse()) lutimesSync(d.path, d.mtime, d.mtime);
  return { diffID: "sha256:" + hash.digest("hex"), entries };
}

interface EntryState {
  written: Set<string>;
  dirTimes: { path: string; mtime: Date }[];
  xattrs: XattrSet[];
  warn: (m: string) => void;
}

async function applyEntry(
  root: string,
  h: tar.Header,
  data: AsyncIterable<Uint8Array>,
  st: EntryState,
): Promise<void> {
  const rel = cleanEntryName(h.name);
  const base = basename(rel);
  const parent = resolveInRoot(root, dirname(rel) === "." ? "" : dirname(rel), true);
  if (base.startsWith(".wh.")) {
    if (base === ".wh..wh..opq") {
      // Opaque: hide everything the lower layers had in this directory, but keep what this layer already wrote.
      const dirRel = dirname(rel) === "." ? "" : dirname(rel);
      const names: string[] = [];
      try {
        for (const e of Deno.readDirSync(parent)) names.push(e.name);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      for (const name of names) {
        if (!st.written.has(dirRel ? `${dirRel}/${name}` : name)) removeAll(join(parent, name));
      }
    } else {
      const victim = base.slice(4);
      if (victim !== "" && victim !== "." && victim !== "..") removeAll(join(parent, victim));
    }
    return;
  }
  const target = rel === "" ? root : join(parent, base);
  if (rel !== "") Deno.mkdirSync(parent, { recursive: true, mode: 0o755 });

  let existing: Deno.FileInfo | undefined;
  try {
    existing = Deno.lstatSync(target);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (existing && !(existing.isDirectory && h.type === "directory")) {
    if (rel === "") return; // only a directory may describe the root
    removeAll(target);
  }

  switch (h.type) {
    case "directory":
      if (!existing) Deno.mkdirSync(target, { mode: 0o700 });
      break;
    case "file":
    case "contiguous-file": {
      const f = Deno.openSync(target, { write: true, createNew: true, mode: 0o600 });
      try {
        for await (const chunk of data) {
          for (let off = 0; off < chunk.byteLength;) off += f.writeSync(chunk.subarray(off));
        }
      } finally {
        f.close();
      }
      break;
    }
    case "symlink":
      Deno.symlinkSync(h.linkname ?? "", target);
      break;
    case "link": {
      const source = resolveInRoot(root, cleanEntryName(h.linkname ?? ""), false);
      if (source === root) throw new LayerApplyError(`hardlink ${h.name} points at the layer root`);
      Deno.linkSync(source, target); // link(2) does not follow a symlink source: the link stays inside root
      st.written.add(rel);
      return; // a hardlink shares its source's metadata
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      const t = h.type === "fifo"
        ? ["p"]
        : [h.type === "block-device" ? "b" : "c", String(h.devmajor), String(h.devminor)];
      try {
        await run("mknod", [target, ...t]);
      } catch (e) {
        st.warn(`device nodes are skipped: this process may not create them (${(e as Error).message.trim()})`);
        return;
      }
      break;
    }
    default:
      st.warn(`unsupported tar entry type ${h.type} skipped (${h.name})`);
      return;
  }
  st.written.add(rel);
  setMetadata(target, h, st);
}

function setMetadata(path: string, h: tar.Header, st: EntryState): void {
  // chown first: chown clears set-id bits, so chmod must come after to keep them.
  lchownSync(path, h.uid ?? 0, h.gid ?? 0);
  if (h.type !== "symlink") Deno.chmodSync(path, (h.mode ?? 0o644) & 0o7777);
  const mtime = h.mtime ?? new Date(0);
  if (h.type === "directory") st.dirTimes.push({ path, mtime });
  else lutimesSync(path, mtime, mtime);
  const attrs: Record<string, Uint8Array> = {};
  // The records as bytes: a value that is not UTF-8 (security.capability) must reach the file unchanged.
  for (const [k, v] of rawPax(h)) if (k.startsWith("SCHILY.xattr.") && k.length > 13) attrs[k.slice(13)] = v;
  if (Object.keys(attrs).length > 0) st.xattrs.push({ path, attrs });
}

function removeAll(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true }); // does not follow symlinks
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

function onceWarner(warn: (m: string) => void): (m: string) => void {
  const seen = new Set<string>();
  return (m) => {
    const kind = m.split(":")[0];
    if (seen.has(kind)) return;
    seen.add(kind);
    warn(m);
  };
}
