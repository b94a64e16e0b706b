import { join } from "./path.ts";
import { fileChunks, readSmallFile } from "./file_chunks.ts";
import type tar from "tar-stream";
import { Buffer } from "node:buffer";
import { type PaxHeader, paxPack, RAW_PAX, type RawPax } from "./tar_pax.ts";
import { TarBodies } from "./tar_bodies.ts";

/** One entry of a layer diff, in the order it goes into the tar. */
export interface Change {
  /** Path in the layer (no leading `./`); for whiteouts already the `.wh.` name. */
  rel: string;
  kind: "add" | "whiteout";
  /** Where the entry's data and metadata live (for `add`). */
  abs?: string;
  info?: Deno.FileInfo;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const OVERLAY_XATTR = /^(trusted|user)\.(overlay|fuseoverlayfs)\./;

// The walks below are synchronous: they visit entries one at a time, and a sync lstat costs a fraction of an async
// one plus the promise round trips of nested async generators (a 20k-file walk: 0.53 s async, batched).
function sortedNames(dir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) names.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
  }
  return names.sort(byName);
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return undefined;
    throw e;
  }
}

/** `lstat` of `names` in `dir`, in order. */
function* lstatAll(dir: string, names: string[]): Generator<[string, string, Deno.FileInfo]> {
  for (const n of names) {
    const abs = join(dir, n);
    yield [n, abs, Deno.lstatSync(abs)];
  }
}

const isOpaque = (x: Record<string, Uint8Array> | undefined) =>
  !!x && ["trusted.overlay.opaque", "user.overlay.opaque", "user.fuseoverlayfs.opaque"].some((k) => x[k]?.[0] === 0x79);

/**
 * Changes recorded in an overlay upper dir, read directly: a char 0/0 device is a deleted path (`.wh.<name>`), a
 * directory marked opaque gets `.wh..wh..opq`. fuse-overlayfs's own `.wh.` files pass through unchanged. A directory
 * that is not a change of its own still goes into the layer just before the first change below it, as containerd's
 * ChangeWriter (BuildKit's differ) writes every parent of a change.
 */
export function* overlayChanges(
  upper: string,
  xattrs: Map<string, Record<string, Uint8Array>>,
  rel = "",
  lowers: string[] = [],
  parents: Change[] = [],
): Generator<Change> {
  const dir = rel ? join(upper, rel) : upper;
  for (const [name, abs, info] of lstatAll(dir, sortedNames(dir))) {
    const childRel = rel ? `${rel}/${name}` : name;
    if (info.isCharDevice && info.rdev === 0) {
      yield* parents.splice(0);
      yield { rel: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, kind: "whiteout" };
      continue;
    }
    const opaque = info.isDirectory && isOpaque(xattrs.get(abs));
    const entry: Change = { rel: childRel, kind: "add", abs, info };
    // A directory overlay merely copied up (a RUN created and removed a mount stub in it, or wrote a file below
    // it) is not a change of its own when its metadata equals what the lowers show: it waits for one below it.
    if (opaque || !info.isDirectory || !sameAsLowerDir(info, childRel, lowers)) {
      yield* parents.splice(0);
      yield entry;
    } else {
      parents.push(entry);
    }
    if (info.isDirectory) {
      if (opaque) yield { rel: `${childRel}/.wh..wh..opq`, kind: "whiteout" };
      yield* overlayChanges(upper, xattrs, childRel, lowers, parents);
      // Nothing below it changed: it stays out, and so do its own unchanged parents unless a sibling has a change.
      if (parents.at(-1) === entry) parents.pop();
    }
  }
}

/** Whether the lowers (nearest first) show a directory at `rel` with the same mode, owner and mtime. */
function sameAsLowerDir(info: Deno.FileInfo, rel: string, lowers: string[]): boolean {
  for (const lower of lowers) {
    const l = lstatOrUndefined(join(lower, rel));
    if (!l) continue;
    if (!l.isDirectory) return false; // a file, or a whiteout device hiding the path
    return (l.mode ?? 0) === (info.mode ?? 0) && l.uid === info.uid && l.gid === info.gid &&
      l.mtime?.getTime() === info.mtime?.getTime();
  }
  return false;
}

function sameEntry(a: Deno.FileInfo, b: Deno.FileInfo, aPath: string, bPath: string): boolean {
  if ((a.mode ?? 0) !== (b.mode ?? 0) || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.isDirectory || b.isDirectory) {
    return a.isDirectory === b.isDirectory && a.mtime?.getTime() === b.mtime?.getTime();
  }
  if (a.size !== b.size || a.mtime?.getTime() !== b.mtime?.getTime() || a.rdev !== b.rdev) return false;
  if (a.isSymlink) return Deno.readLinkSync(aPath) === Deno.readLinkSync(bPath);
  return true;
}

/**
 * Changes between two full trees (the native snapshotter): a path only in `lower` becomes a whiteout, a path new or
 * different in `upper` (type, mode, owner, size, mtime, link target) an addition, with all of its subtree when it is
 * a directory replacing something else; an unchanged directory goes in just before the first change below it.
 */
export function* treeChanges(
  lower: string | undefined,
  upper: string,
  rel = "",
  parents: Change[] = [],
): Generator<Change> {
  const uDir = rel ? join(upper, rel) : upper;
  const lDir = lower === undefined ? undefined : rel ? join(lower, rel) : lower;
  const names = new Set(sortedNames(uDir));
  if (lDir) { for (const n of sortedNames(lDir)) names.add(n); }
  for (const name of [...names].sort(byName)) {
    const childRel = rel ? `${rel}/${name}` : name;
    const abs = join(uDir, name);
    const u = lstatOrUndefined(abs);
    const l = lDir ? lstatOrUndefined(join(lDir, name)) : undefined;
    if (!u) {
      yield* parents.splice(0);
      yield { rel: rel ? `${rel}/.wh.${name}` : `.wh.${name}`, kind: "whiteout" };
      continue;
    }
    if (l && sameEntry(u, l, abs, join(lDir!, name))) {
      if (u.isDirectory) {
        const entry: Change = { rel: childRel, kind: "add", abs, info: u };
        parents.push(entry);
        yield* treeChanges(lower, upper, childRel, parents);
        if (parents.at(-1) === entry) parents.pop();
      }
      continue;
    }
    yield* parents.splice(0);
    yield { rel: childRel, kind: "add", abs, info: u };
    if (u.isDirectory) yield* treeChanges(l?.isDirectory ? lower : undefined, upper, childRel);
  }
}

/** Options of `layerTar`. */
export interface LayerTarOptions {
  /** Clamp every mtime to this (seconds since the epoch), for reproducible layers. */
  sourceDateEpoch?: number;
  /** Extended attributes by absolute path (from `readXattrs`). */
  xattrs?: Map<string, Record<string, Uint8Array>>;
  /**
   * An earlier tar of this layer's files (a replayed COPY's last layer): regular files not named in `changed` are
   * hard links to the files that tar was made from, so their bodies are read from it (see tar_bodies.ts).
   */
  reuse?: { tar: string; changed: ReadonlySet<string> };
}

/**
 * Streams the changes as a tar with normalized headers (no user/group names, sorted, hardlinks within the layer as
 * tar links), so equal trees give byte-equal tars. `entries` resolves with the count once the stream has ended;
 * `entriesSoFar` counts those begun so far (a little ahead of the bytes read).
 */
export function layerTar(
  changes: Iterable<Change> | AsyncIterable<Change>,
  opts: LayerTarOptions = {},
): { stream: ReadableStream<Uint8Array>; entries: Promise<number>; entriesSoFar: () => number } {
  const pack = paxPack();
  const queue = new EntryQueue(pack);
  let count = 0;
  const links = new Map<string, string>();
  const clamp = (d: Date | null) => {
    const ms = d?.getTime() ?? 0;
    return new Date(opts.sourceDateEpoch !== undefined ? Math.min(ms, opts.sourceDateEpoch * 1000) : ms);
  };
  const reused = opts.reuse && new TarBodies(opts.reuse.tar);
  const fromTar = reused &&
    ((c: Change) => opts.reuse!.changed.has(c.rel) ? undefined : reused.take(c.rel, c.info!.size));
  const entries = (async () => {
    try {
      for await (const { change: c, body } of readAhead(changes, fromTar)) {
        count++;
        if (c.kind === "whiteout") {
          const epoch = new Date((opts.sourceDateEpoch ?? 0) * 1000);
          await queue.add({ name: c.rel, type: "file", size: 0, mode: 0o644, uid: 0, gid: 0, mtime: epoch });
          continue;
        }
        const info = c.info!;
        const header: PaxHeader = {
          name: c.rel,
          type: "file",
          size: 0,
          mode: (info.mode ?? 0o644) & 0o7777,
          uid: info.uid ?? 0,
          gid: info.gid ?? 0,
          uname: "",
          gname: "",
          mtime: clamp(info.mtime),
          linkname: "",
          devmajor: 0,
          devminor: 0,
        };
        // Values as bytes (security.capability is a binary struct), keys sorted as Go's archive/tar writes them,
        // so the layer does not depend on the order the filesystem lists attributes in.
        const xattrs: RawPax = Object.entries(opts.xattrs?.get(c.abs!) ?? {})
          .filter(([k]) => !OVERLAY_XATTR.test(k))
          .sort(([a], [b]) => byName(a, b))
          .map(([k, v]) => [`SCHILY.xattr.${k}`, v]);
        if (xattrs.length > 0) header[RAW_PAX] = xattrs;
        const id = `${info.dev}:${info.ino}`;
        if (info.isFile && (info.nlink ?? 1) > 1 && links.has(id)) {
          await queue.add({ ...header, type: "link", linkname: links.get(id)! });
        } else if (info.isFile) {
          if ((info.nlink ?? 1) > 1) links.set(id, c.rel);
          if (body) await queue.add({ ...header, size: info.size }, await body);
          else {
            await queue.drained();
            await addFile(pack, { ...header, size: info.size }, c.abs!);
          }
        } else if (info.isDirectory) await queue.add({ ...header, type: "directory" });
        else if (info.isSymlink) {
          await queue.add({ ...header, type: "symlink", linkname: await Deno.readLink(c.abs!) });
        } else if (info.isFifo) await queue.add({ ...header, type: "fifo" });
        else if (info.isCharDevice || info.isBlockDevice) {
          const rdev = info.rdev ?? 0;
          await queue.add({
            ...header,
            type: info.isCharDevice ? "character-device" : "block-device",
            devmajor: (rdev >> 8) & 0xfff,
            devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
          });
        } else count--; // sockets do not go into layers
      }
      await queue.drained();
      pack.finalize();
      return count;
    } catch (e) {
      pack.destroy(e as Error);
      throw e;
    } finally {
      reused?.close();
    }
  })();
  entries.catch(() => {}); // the failure reaches the reader through the stream
  const it = pack[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength));
    },
    async cancel(reason) {
      pack.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      await it.return?.();
    },
  }, { highWaterMark: 0 });
  return { stream, entries, entriesSoFar: () => count };
}

/** Files up to this size are read whole and queued; larger ones are streamed (memory stays flat). */
const SMALL_FILE = 1 << 20;
/**
 * Small-file reads started ahead of the tar: entries, and bytes, at most (bounded whatever the layer). Each read in
 * flight holds a thread of Deno's blocking pool: 64 (and 128 concurrent lstats) cost ~20 MB more peak RSS than 32
 * for no measurable speed.
 */
const READ_AHEAD = 32;
const READ_AHEAD_BYTES = 4 << 20;

/**
 * The changes in order, each regular file up to SMALL_FILE with its content read ahead: the reads of the next
 * entries run on the thread pool while the tar takes the current one, instead of one open/read/close round trip per
 * file in turn. A failed read surfaces when its entry is reached, as a direct read would.
 */
async function* readAhead(
  changes: Iterable<Change> | AsyncIterable<Change>,
  fromTar?: (c: Change) => Uint8Array | undefined,
): AsyncGenerator<{ change: Change; body?: Promise<Uint8Array> }> {
  const window: { change: Change; body?: Promise<Uint8Array>; size: number }[] = [];
  let bytes = 0;
  for await (const change of changes) {
    const info = change.info;
    let body: Promise<Uint8Array> | undefined;
    let size = 0;
    if (change.kind === "add" && info?.isFile && info.size <= SMALL_FILE) {
      const kept = fromTar?.(change);
      body = kept ? Promise.resolve(kept) : readSmallFile(change.abs!, info.size);
      body.catch(() => {}); // handled where the entry is reached; never an unhandled rejection meanwhile
      size = info.size;
    }
    window.push({ change, body, size });
    bytes += size;
    while (window.length >= READ_AHEAD || bytes > READ_AHEAD_BYTES) {
      const next = window.shift()!;
      bytes -= next.size;
      yield next;
    }
  }
  yield* window;
}
/**
 * Bytes queued in the pack but not yet read by the consumer before `add` waits. With files read ahead the queue
 * now fills whenever gzip lags, and each queued MB costs several in tar-stream's buffers: at 8 MB a 20k-file COPY
 * build peaked at 200 MB RSS against 150 MB at 1 MB, for the same speed.
 */
const QUEUE_HIGH = 1 << 20;

/**
 * Feeds small entries to the pack without a round trip to the consumer per entry (which made a 20,000-file layer
 * take seconds), yet bounded: `add` waits while more than QUEUE_HIGH bytes are queued and unread.
 */
class EntryQueue {
  #queued = 0;
  #waiters: (() => void)[] = [];
  #failure: Error | undefined;
  constructor(readonly pack: tar.Pack) {}

  async add(header: PaxHeader, body?: Uint8Array): Promise<void> {
    while (this.#queued > QUEUE_HIGH && !this.#failure) await new Promise<void>((r) => this.#waiters.push(r));
    if (this.#failure) throw this.#failure;
    const size = 512 + (body?.byteLength ?? 0);
    this.#queued += size;
    // An explicit body always ends the entry: tar-stream waits for end() on zero-size "file" entries (whiteouts).
    const data = body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.alloc(0);
    this.pack.entry(header, data, (err) => {
      this.#queued -= size;
      if (err) this.#failure ??= err;
      if (this.#queued <= QUEUE_HIGH / 2 || err) this.#wake();
    });
  }

  /** Waits until every queued entry is in the tar (before a streamed entry, and at the end). */
  async drained(): Promise<void> {
    while (this.#queued > 0 && !this.#failure) await new Promise<void>((r) => this.#waiters.push(r));
    if (this.#failure) throw this.#failure;
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

async function addFile(pack: tar.Pack, header: PaxHeader, path: string): Promise<void> {
  const file = await Deno.open(path);
  let finish!: (err?: Error | null) => void;
  const done = new Promise<void>((res, rej) => (finish = (err) => (err ? rej(err) : res())));
  const sink = pack.entry(header, finish);
  try {
    // Stream the file in chunks, waiting for the tar to drain: memory stays flat whatever the layer size.
    for await (const bytes of fileChunks(file)) {
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (!sink.write(chunk)) {
        await new Promise<void>((r) => {
          // "close" too: the pack was destroyed (the reader gave up); stop waiting. Drop both after either fires.
          const done = () => {
            sink.off("drain", done);
            sink.off("close", done);
            r();
          };
          sink.once("drain", done);
          sink.once("close", done);
        });
        if (sink.destroyed) break;
      }
    }
    sink.end(undefined);
  } catch (e) {
    sink.destroy(e as Error);
  } finally {
    file.close();
  }
  await done;
}
