/**
 * `RUN --mount=type=cache` directories: persistent dirs under the store, never part of a layer. Sharing follows
 * BuildKit: `shared` users run concurrently, `locked` users take turns (an flock on a lock file, so it holds across
 * tsbuild processes too), `private` users each get a directory no one else is using at the time.
 */
import { TsbuildError } from "../errors.ts";

/** A cache dir in use; `release` must be called when the RUN ends. */
export interface CacheMountLease {
  path: string;
  release(): Promise<void>;
}

/** What identifies and initialises a cache mount (mode/uid/gid apply when the dir is first created). */
export interface CacheMountRequest {
  id: string;
  sharing: "shared" | "private" | "locked";
  mode: number;
  uid: number;
  gid: number;
  /**
   * BuildKit's `from=`/`source=`: called only when the dir is first created, it returns a host dir (e.g. in a
   * mounted stage snapshot) whose content, owners and modes the new cache starts with; `release` is called after
   * the copy. Lazy, so a cache that already exists costs no snapshot mount.
   */
  seed?: () => Promise<{ path: string; release(): Promise<void> }>;
}

/** Seeding a cache dir from its `from` source failed. */
export class CacheSeedError extends TsbuildError {}

async function keyOf(id: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function openLock(path: string): Promise<Deno.FsFile> {
  return await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
}

/** Hands out cache directories kept in `dir` (e.g. `<store>/cache-mounts`). */
export class CacheMounts {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Waits until the cache may be used with the requested sharing and returns its directory. */
  async acquire(m: CacheMountRequest): Promise<CacheMountLease> {
    // Hashing the id keeps any user-chosen id (`../x`, `/`) from naming a path outside the store.
    const base = `${this.#dir}/${await keyOf(m.id)}`;
    await Deno.mkdir(base, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(`${base}/id`, m.id);
    if (m.sharing === "private") return await this.#acquirePrivate(base, m);
    const lock = await openLock(`${base}/data.lock`);
    try {
      await lock.lock(m.sharing === "locked");
      await this.#create(base, "data", m);
    } catch (e) {
      lock.close();
      throw e;
    }
    return leaseOf(`${base}/data`, lock);
  }

  async #acquirePrivate(base: string, m: CacheMountRequest): Promise<CacheMountLease> {
    await Deno.mkdir(`${base}/private`, { recursive: true, mode: 0o700 });
    for (let i = 0;; i++) {
      const lock = await openLock(`${base}/private/${i}.lock`);
      if (await lock.tryLock(true)) {
        try {
          await this.#create(base, `private/${i}`, m);
        } catch (e) {
          lock.close();
          throw e;
        }
        return leaseOf(`${base}/private/${i}`, lock);
      }
      lock.close();
    }
  }

  /** Creates `<base>/<name>` with the requested owner and mode, under a lock so no user sees it half-made. */
  async #create(base: string, name: string, m: CacheMountRequest): Promise<void> {
    const path = `${base}/${name}`;
    const init = await openLock(`${base}/init.lock`);
    try {
      await init.lock(true);
      try {
        await Deno.mkdir(path);
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) return;
        throw e;
      }
      await Deno.chown(path, m.uid, m.gid);
      await Deno.chmod(path, m.mode);
      if (m.seed) await seed(path, m);
    } finally {
      init.close();
    }
  }
}

/** Copies the seed into the new cache dir; on failure the half-made dir is removed so the next use retries. */
async function seed(path: string, m: CacheMountRequest): Promise<void> {
  try {
    const src = await m.seed!();
    try {
      // `cp -a src/. dest` also gives dest the source dir's own mode and owner, as BuildKit's cache root is the
      // source dir itself; inside the build namespace "root" keeps every owner.
      const out = await new Deno.Command("cp", { args: ["-a", "--", `${src.path}/.`, path], stderr: "piped" }).output();
      if (!out.success) {
        throw new CacheSeedError(
          `RUN --mount=type=cache,id=${m.id}: cannot copy its from/source content: ${
            new TextDecoder().decode(out.stderr).trim()
          }`,
        );
      }
    } finally {
      await src.release();
    }
  } catch (e) {
    await Deno.remove(path, { recursive: true }).catch(() => {});
    throw e;
  }
}

function leaseOf(path: string, lock: Deno.FsFile): CacheMountLease {
  let released = false;
  return {
    path,
    release() {
      if (!released) {
        released = true;
        lock.close(); // closing the descriptor drops its flock
      }
      return Promise.resolve();
    },
  };
}
