import { join } from "node:path";

/** A layer as the cache and the exporter know it. */
export interface CachedLayer {
  mediaType: string;
  digest: string;
  size: number;
  diffID: string;
}

/** What a cached vertex produced: its whole layer chain and whether it added a layer of its own. */
export interface CacheRecord {
  key: string;
  layers: CachedLayer[];
  /** True when the step changed nothing (no layer of its own; history says empty_layer). */
  empty: boolean;
  /** Human-readable inputs, for `--explain` on the next miss. */
  inputs: Record<string, string>;
  created: string;
}

/**
 * Records from outside the store (`--cache-from`), asked on a local miss. The blobs of the layers a build made in a
 * returned record's chain are already in the content store (the solver checks that again); base image layers are
 * named as their image names them.
 */
export interface CacheImportSource {
  lookup(key: string): Promise<CacheRecord | undefined>;
}

/**
 * Cache records, one JSON file per key under `<store>/cache/records`, written atomically (tmp + rename) so a kill
 * leaves either the old record or the new one. A record only points at blobs; a blob it names that is gone makes
 * the record a miss, never a wrong hit.
 */
export class CacheStore {
  #dir: string;
  constructor(storeRoot: string) {
    this.#dir = join(storeRoot, "cache", "records");
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    try {
      const rec = JSON.parse(await Deno.readTextFile(join(this.#dir, `${key}.json`))) as CacheRecord;
      return rec.key === key ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  async put(rec: CacheRecord): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true });
    const tmp = join(this.#dir, `.${rec.key}.${crypto.randomUUID()}.tmp`);
    await Deno.writeTextFile(tmp, JSON.stringify(rec));
    await Deno.rename(tmp, join(this.#dir, `${rec.key}.json`));
  }

  /** Last record written for a step identity (stage + instruction position), for explaining misses. */
  async lastFor(identity: string): Promise<CacheRecord | undefined> {
    try {
      const key = (await Deno.readTextFile(join(this.#dir, "..", "last", `${identity}`))).trim();
      return await this.get(key);
    } catch {
      return undefined;
    }
  }

  async setLast(identity: string, key: string): Promise<void> {
    const dir = join(this.#dir, "..", "last");
    await Deno.mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${identity}.${crypto.randomUUID()}.tmp`);
    await Deno.writeTextFile(tmp, key);
    await Deno.rename(tmp, join(dir, identity));
  }
}
