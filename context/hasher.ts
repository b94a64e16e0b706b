/**
 * Content hash of what COPY/ADD sources select in the build context, with a persistent stat cache so an unchanged
 * context costs one lstat per file and no reads.
 * @module
 */
import xxhash, { type XXHashAPI } from "xxhash-wasm";
import { ContextFilter } from "./filter.ts";
import { resolveInRoot } from "./root_path.ts";
import { selectSource } from "./select.ts";

interface StatEntry {
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  hash: string;
  racy?: boolean;
}

/** One entry a source selects (`src` opens each source with its match count in `mode`). */
interface SourceEntry {
  kind: "src" | "missing" | "l" | "d" | "f" | "o";
  rel: string;
  mode: number;
  link?: string;
  size?: number;
  hash?: string;
  mtime?: number;
  rdev?: number;
}

/** A selected file, dir or symlink as `selection` reports it. */
export interface SelectedEntry {
  kind: "f" | "d" | "l";
  /** Content hash (files only). */
  hash?: string;
  /** Modification time, ms since the epoch. */
  mtime: number;
}

/** What a set of sources selects: its shape (names, types, modes, link targets) and each entry's details. */
export interface SourceSelection {
  shape: string;
  entries: Map<string, SelectedEntry>;
}

const hex = (h: { digest(): bigint }) => h.digest().toString(16).padStart(16, "0");

/** The line an entry adds to a hash; `content` false leaves out file sizes and contents (the shape). */
function entryLine(e: SourceEntry, content: boolean): string {
  switch (e.kind) {
    case "src":
      return `src\0${e.rel}\0${e.mode}\n`;
    case "missing":
      return `${e.rel}\0missing\n`;
    case "l":
      return `${e.rel}\0l\0${e.mode}\0${e.link}\n`;
    case "d":
      return `${e.rel}\0d\0${e.mode}\n`;
    case "f":
      return content ? `${e.rel}\0f\0${e.mode}\0${e.size}\0${e.hash}\n` : `${e.rel}\0f\0${e.mode}\n`;
    case "o":
      return `${e.rel}\0o\0${e.mode}\0${e.rdev}\n`;
  }
}

/** Files whose timestamps are this recent when read are re-read next time (coarse kernel clocks tick in ms). */
const RACY_MS = 2000;

/** Files up to this size are hashed from one read; larger ones are streamed. */
const SMALL_FILE = 1 << 20;

/**
 * The stat cache on disk, by column: JSON.parse reads number and string arrays ~3× faster than 20,000 small
 * objects, and loading it was a tenth of a 20k-file context's no-change build. `nums` holds size, mtime, ctime,
 * inode and racy (0/1) for each path in turn. Another version (1 kept objects) is a cache miss: re-read once.
 */
interface CacheFile {
  version: 2;
  paths: string[];
  nums: number[];
  hashes: string[];
}
const NUMS = 5;

let api: Promise<XXHashAPI> | undefined;
const xx = () => (api ??= xxhash());

/** Hashes context sources; one instance per (store, context dir). */
export class ContextHasher {
  #cachePath: string;
  #files: Map<string, StatEntry>;
  #seen = new Set<string>();
  #hadCache: boolean;
  /** Files whose content differs from the last build's (or that are new since): `--explain` names them. */
  readonly changed = new Set<string>();
  #dirty = false;
  #filter: ContextFilter;
  #api: XXHashAPI;
  #persist = true;
  #walks = new Map<string, SourceEntry[]>();
  #selections = new Map<string, SourceSelection>();

  private constructor(
    readonly contextDir: string,
    cachePath: string,
    files: Map<string, StatEntry>,
    filter: ContextFilter,
    a: XXHashAPI,
  ) {
    this.#cachePath = cachePath;
    this.#files = files;
    this.#filter = filter;
    this.#api = a;
    this.#hadCache = files.size > 0;
  }

  /**
   * Opens (or starts) the stat cache `<storeRoot>/cache/context-<xxh64 of abs context path>.json`. A context that
   * is removed after the build (stdin, URL, git; `persist: false`) is hashed the same way but leaves no cache file.
   */
  static async open(
    storeRoot: string,
    contextDir: string,
    excludes: string[],
    options: { persist?: boolean } = {},
  ): Promise<ContextHasher> {
    const a = await xx();
    const abs = await Deno.realPath(contextDir);
    const cachePath = `${storeRoot}/cache/context-${a.h64ToString(abs)}.json`;
    const files = new Map<string, StatEntry>();
    try {
      const { version, paths, nums, hashes } = JSON.parse(await Deno.readTextFile(cachePath)) as CacheFile;
      if (version === 2 && nums.length === paths.length * NUMS && hashes.length === paths.length) {
        for (let i = 0, j = 0; i < paths.length; i++, j += NUMS) {
          const racy = nums[j + 4] === 1 ? true : undefined;
          files.set(paths[i], {
            size: nums[j],
            mtime: nums[j + 1],
            ctime: nums[j + 2],
            ino: nums[j + 3],
            hash: hashes[i],
            racy,
          });
        }
      }
    } catch {
      // no cache yet, or a damaged one: everything is re-read once
    }
    const hasher = new ContextHasher(abs, cachePath, files, new ContextFilter(excludes), a);
    hasher.#persist = options.persist ?? true;
    return hasher;
  }

  /**
   * xxh64 over the files `srcs` select after excludes: relative path, type, mode, size, content hash, link target.
   * `followPaths` follows a source that is itself a symlink (COPY's default), hashing its target under its name.
   */
  // deno-lint-ignore require-await -- async for its callers: errors reject, whatever the walk does inside
  async hashSources(srcs: string[], opts: { followPaths?: boolean } = {}): Promise<string> {
    const h = this.#api.create64();
    for (const e of this.#walk(srcs, opts.followPaths ?? false)) h.update(entryLine(e, true));
    return hex(h);
  }

  /**
   * What `srcs` select, as an incremental COPY compares it with an earlier build's: `shape` hashes everything
   * `hashSources` does except file sizes and contents, and `entries` gives each entry's content hash and mtime.
   * Made from the walk the cache key was computed from, so the copy writes what its key says.
   */
  // deno-lint-ignore require-await -- as hashSources
  async selection(srcs: string[], opts: { followPaths?: boolean } = {}): Promise<SourceSelection> {
    const key = JSON.stringify([srcs, opts.followPaths ?? false]);
    const known = this.#selections.get(key);
    if (known) return known;
    const shape = this.#api.create64();
    const entries = new Map<string, SelectedEntry>();
    for (const e of this.#walk(srcs, opts.followPaths ?? false)) {
      shape.update(entryLine(e, false));
      if (e.kind === "f" || e.kind === "d" || e.kind === "l") {
        entries.set(e.rel, { kind: e.kind, hash: e.hash, mtime: e.mtime ?? 0 });
      }
    }
    const out = { shape: hex(shape), entries };
    this.#selections.set(key, out);
    return out;
  }

  /**
   * The entries `srcs` select, walked once per build: a COPY's key, then (on a miss) its incremental copy, read
   * the same walk (a 20,000-file context costs ~150 ms a walk), and a file changed in between cannot make the copy
   * disagree with its key.
   */
  #walk(srcs: string[], follow: boolean): SourceEntry[] {
    const key = JSON.stringify([srcs, follow]);
    let walked = this.#walks.get(key);
    if (!walked) this.#walks.set(key, walked = [...this.#entries(srcs, follow)]);
    return walked;
  }

  // Synchronous walk and reads: an async generator costs a promise round trip per entry, which for a 20,000-file
  // context was most of an unchanged context's hashing time.
  *#entries(srcs: string[], follow: boolean): Generator<SourceEntry> {
    for (const src of srcs) {
      const picked = selectSource(this.contextDir, src, this.#filter, true);
      yield { kind: "src", rel: src, mode: picked.length };
      for (const rel of picked) yield* this.#tree(rel, follow);
    }
  }

  *#tree(top: string, followTop: boolean): Generator<SourceEntry> {
    // Entries below a walked dir carry their host path: that dir is already resolved and a child's own name is
    // not followed, so resolving it again from the root (an lstat per path component) would give the same path.
    const stack: [string, boolean, string | undefined][] = [[top, followTop, undefined]];
    while (stack.length) {
      const [rel, follow, known] = stack.pop()!;
      const host = known ?? (rel === "." ? this.contextDir : resolveInRoot(this.contextDir, rel, follow));
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(host);
      } catch {
        yield { kind: "missing", rel, mode: 0 };
        continue;
      }
      const mode = (st.mode ?? 0) & 0o7777;
      const mtime = st.mtime?.getTime() ?? 0;
      if (st.isSymlink) {
        yield { kind: "l", rel, mode, link: Deno.readLinkSync(host), mtime };
      } else if (st.isDirectory) {
        yield { kind: "d", rel, mode, mtime };
        const names: string[] = [];
        for (const e of Deno.readDirSync(host)) names.push(e.name);
        names.sort().reverse(); // popped in ascending order
        for (const name of names) {
          const child = rel === "." ? name : `${rel}/${name}`;
          if (!this.#filter.empty && this.#filter.excluded(child)) {
            let isDir = false;
            try {
              isDir = Deno.lstatSync(`${host}/${name}`).isDirectory;
            } catch { /* raced away */ }
            if (!(isDir && this.#filter.mustDescend(child))) continue;
          }
          stack.push([child, false, `${host}/${name}`]);
        }
      } else if (st.isFile) {
        yield { kind: "f", rel, mode, size: st.size, hash: this.#contentHash(rel, host, st), mtime };
      } else {
        yield { kind: "o", rel, mode, rdev: st.rdev ?? 0 };
      }
    }
  }

  #contentHash(rel: string, host: string, st: Deno.FileInfo): string {
    const key = `${rel}`;
    const mtime = st.mtime?.getTime() ?? 0;
    const ctime = st.ctime?.getTime() ?? 0;
    const ino = st.ino ?? 0;
    this.#seen.add(key);
    const prev = this.#files.get(key);
    if (
      prev && !prev.racy && prev.size === st.size && prev.mtime === mtime && prev.ctime === ctime && prev.ino === ino
    ) {
      return prev.hash;
    }
    let digest: bigint;
    try {
      if (st.size <= SMALL_FILE) {
        // Most context files are small: one read beats opening a stream per file by an order of magnitude.
        digest = this.#api.h64Raw(Deno.readFileSync(host));
      } else {
        const fh = this.#api.create64();
        const f = Deno.openSync(host, { read: true });
        try {
          const buf = new Uint8Array(1 << 20);
          for (let n = f.readSync(buf); n !== null && n > 0; n = f.readSync(buf)) fh.update(buf.subarray(0, n));
        } finally {
          f.close();
        }
        digest = fh.digest();
      }
    } catch (e) {
      throw new Error(`reading ${rel} from the build context: ${(e as Error).message}`, { cause: e });
    }
    const hash = digest.toString(16).padStart(16, "0");
    if (prev ? prev.hash !== hash : this.#hadCache) this.changed.add(rel);
    // Git's "racily clean" rule: a file changed within the timestamp granularity of this read could change again
    // without its stat moving, so its entry is never trusted; it is re-read until it has aged.
    const racy = Math.max(mtime, ctime) > Date.now() - RACY_MS;
    this.#files.set(key, { size: st.size, mtime, ctime, ino, hash, racy });
    this.#dirty = true;
    return hash;
  }

  /** Writes the stat cache atomically (tmp + rename), dropping entries for files no longer present. */
  async save(): Promise<void> {
    if (!this.#dirty || !this.#persist) return;
    const out: CacheFile = { version: 2, paths: [], nums: [], hashes: [] };
    for (const [k, v] of this.#files) {
      if (!this.#seen.has(k) && !fileExists(`${this.contextDir}/${k}`)) continue;
      out.paths.push(k);
      out.nums.push(v.size, v.mtime, v.ctime, v.ino, v.racy ? 1 : 0);
      out.hashes.push(v.hash);
    }
    const dir = this.#cachePath.slice(0, this.#cachePath.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${this.#cachePath}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(out));
    await Deno.rename(tmp, this.#cachePath);
    this.#dirty = false;
  }
}

function fileExists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
