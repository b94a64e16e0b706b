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

/** Files whose timestamps are this recent when read are re-read next time (coarse kernel clocks tick in ms). */
const RACY_MS = 2000;

/** Files up to this size are hashed from one read; larger ones are streamed. */
const SMALL_FILE = 1 << 20;

interface CacheFile {
  version: 1;
  files: Record<string, StatEntry>;
}

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

  /** Opens (or starts) the stat cache `<storeRoot>/cache/context-<xxh64 of abs context path>.json`. */
  static async open(storeRoot: string, contextDir: string, excludes: string[]): Promise<ContextHasher> {
    const a = await xx();
    const abs = await Deno.realPath(contextDir);
    const cachePath = `${storeRoot}/cache/context-${a.h64ToString(abs)}.json`;
    const files = new Map<string, StatEntry>();
    try {
      const parsed = JSON.parse(await Deno.readTextFile(cachePath)) as CacheFile;
      if (parsed.version === 1) { for (const [k, v] of Object.entries(parsed.files)) files.set(k, v); }
    } catch {
      // no cache yet, or a damaged one: everything is re-read once
    }
    return new ContextHasher(abs, cachePath, files, new ContextFilter(excludes), a);
  }

  /**
   * xxh64 over the files `srcs` select after excludes: relative path, type, mode, size, content hash, link target.
   * `followPaths` follows a source that is itself a symlink (COPY's default), hashing its target under its name.
   */
  async hashSources(srcs: string[], opts: { followPaths?: boolean } = {}): Promise<string> {
    const h = this.#api.create64();
    for (const src of srcs) {
      const picked = selectSource(this.contextDir, src, this.#filter, true);
      h.update(`src\0${src}\0${picked.length}\n`);
      for (const rel of picked) await this.#hashTree(h, rel, opts.followPaths ?? false);
    }
    return h.digest().toString(16).padStart(16, "0");
  }

  async #hashTree(h: { update(s: string): unknown }, top: string, followTop: boolean): Promise<void> {
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
        h.update(`${rel}\0missing\n`);
        continue;
      }
      const mode = (st.mode ?? 0) & 0o7777;
      if (st.isSymlink) {
        h.update(`${rel}\0l\0${mode}\0${Deno.readLinkSync(host)}\n`);
      } else if (st.isDirectory) {
        h.update(`${rel}\0d\0${mode}\n`);
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
        h.update(`${rel}\0f\0${mode}\0${st.size}\0${await this.#contentHash(rel, host, st)}\n`);
      } else {
        h.update(`${rel}\0o\0${mode}\0${st.rdev ?? 0}\n`);
      }
    }
  }

  async #contentHash(rel: string, host: string, st: Deno.FileInfo): Promise<string> {
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
        const f = await Deno.open(host, { read: true });
        for await (const chunk of f.readable) fh.update(chunk);
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
    if (!this.#dirty) return;
    const files: Record<string, StatEntry> = {};
    for (const [k, v] of this.#files) {
      if (this.#seen.has(k) || fileExists(`${this.contextDir}/${k}`)) files[k] = v;
    }
    const dir = this.#cachePath.slice(0, this.#cachePath.lastIndexOf("/"));
    await Deno.mkdir(dir, { recursive: true });
    const tmp = `${this.#cachePath}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ version: 1, files } satisfies CacheFile));
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
