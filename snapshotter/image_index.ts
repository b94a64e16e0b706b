import { join } from "./path.ts";
import { withLock } from "./lock.ts";
import type { Compression } from "./layer_compression.ts";

/** One named image in the store. */
export interface ImageRecord {
  /** Normalized reference, e.g. `docker.io/library/app:1`. */
  name: string;
  manifestDigest: string;
  configDigest: string;
  mediaType: string;
  /** Compressed size of config + layers. */
  size: number;
  created: string;
  /** Set while the manifest names uncompressed layers: how to compress them when the image is pushed. */
  compression?: Compression;
}

/**
 * Names of images built into the store (`-t` without `--push`, as `docker build` keeps them): a later build's
 * `FROM name` finds them there before asking a registry, and `history`, `push` and `images` read them. One JSON
 * file rewritten atomically under a lock; the blobs themselves live in the content store.
 */
export class ImageIndex {
  #path: string;
  #lock: string;
  constructor(storeRoot: string) {
    this.#path = join(storeRoot, "images.json");
    this.#lock = join(storeRoot, "locks", "images.lock");
  }

  async list(): Promise<ImageRecord[]> {
    try {
      return Object.values(JSON.parse(await Deno.readTextFile(this.#path)) as Record<string, ImageRecord>);
    } catch {
      return [];
    }
  }

  async get(name: string): Promise<ImageRecord | undefined> {
    return (await this.list()).find((r) => r.name === name);
  }

  /** Points `rec.name` at an image, replacing what it named before. */
  put(rec: ImageRecord): Promise<void> {
    return this.#update((all) => {
      all[rec.name] = rec;
    });
  }

  /** Removes a name; true when it existed. */
  async remove(name: string): Promise<boolean> {
    let found = false;
    await this.#update((all) => {
      found = name in all;
      delete all[name];
    });
    return found;
  }

  async #update(fn: (all: Record<string, ImageRecord>) => void): Promise<void> {
    await Deno.mkdir(join(this.#path, "..", "locks"), { recursive: true });
    await withLock(this.#lock, async () => {
      const all: Record<string, ImageRecord> = {};
      for (const r of await this.list()) all[r.name] = r;
      fn(all);
      const tmp = `${this.#path}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(all, null, 1));
      await Deno.rename(tmp, this.#path);
    });
  }
}
