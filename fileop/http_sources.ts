/**
 * What `ADD <url>` reads, fetched once per build and kept in the store: the step's cache key covers the body's
 * digest, as BuildKit's HTTP source does, so a changed file behind the same URL reruns the ADD and an unchanged
 * one (a 304 to the last ETag or Last-Modified, or the same bytes) is a hit. The ADD itself then copies the body
 * fetched for its key instead of downloading it again.
 *
 * @module
 */
import { nodeCrypto } from "../runtime/builtins.ts";
import { FileOpError } from "./errors.ts";
import { writeHashed } from "./http.ts";

/** What the store remembers of a URL's last fetch. */
interface Fetched {
  url: string;
  /** `sha256:<hex>` of the body. */
  digest: string;
  etag?: string;
  lastModified?: string;
}

/** URL bodies under `<store>/http-sources`: `<sha256 of url>.json` names `blobs/<hex>`. */
export class HttpSources {
  #root: string;
  #fetch: typeof fetch;
  #memo = new Map<string, Promise<Fetched>>();

  constructor(storeRoot: string, fetchImpl: typeof fetch = fetch) {
    this.#root = `${storeRoot}/http-sources`;
    this.#fetch = fetchImpl;
  }

  /** The digest of `url`'s body now (fetched at most once per instance, conditionally when seen before). */
  async digest(url: string, signal?: AbortSignal): Promise<string> {
    return (await this.#get(url, signal)).digest;
  }

  /** A response carrying the body `digest` saw, for the ADD to write (a `fetch` for applyHttp). */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const f = await this.#get(url, init?.signal ?? undefined);
    const file = await Deno.open(this.#blob(f.digest));
    return new Response(file.readable, { headers: f.lastModified ? { "last-modified": f.lastModified } : {} });
  };

  #get(url: string, signal?: AbortSignal): Promise<Fetched> {
    let p = this.#memo.get(url);
    if (!p) {
      p = this.#fetchOnce(url, signal);
      this.#memo.set(url, p);
    }
    return p;
  }

  #blob(digest: string): string {
    return `${this.#root}/blobs/${digest.slice(7)}`;
  }

  async #fetchOnce(url: string, signal?: AbortSignal): Promise<Fetched> {
    const metaPath = `${this.#root}/${nodeCrypto().createHash("sha256").update(url).digest("hex")}.json`;
    let last: Fetched | undefined;
    try {
      last = JSON.parse(await Deno.readTextFile(metaPath)) as Fetched;
      await Deno.stat(this.#blob(last.digest));
    } catch {
      last = undefined;
    }
    const headers: Record<string, string> = {};
    if (last?.etag) headers["if-none-match"] = last.etag;
    else if (last?.lastModified) headers["if-modified-since"] = last.lastModified;
    let res: Response;
    try {
      res = await this.#fetch(url, { headers, signal });
    } catch (e) {
      throw new FileOpError(`ADD failed: downloading ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (res.status === 304 && last) {
      await res.body?.cancel();
      return last;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new FileOpError(`ADD failed: downloading ${url}: HTTP ${res.status} ${res.statusText}`);
    }
    await Deno.mkdir(`${this.#root}/blobs`, { recursive: true });
    // Written beside its final name and renamed: a concurrent build or a kill never leaves a partial blob.
    const tmp = `${this.#root}/blobs/.tmp-${crypto.randomUUID()}`;
    const hash = nodeCrypto().createHash("sha256");
    try {
      await writeHashed(res.body, tmp, hash);
      const fetched: Fetched = { url, digest: `sha256:${hash.digest("hex")}` };
      const etag = res.headers.get("etag"), lastModified = res.headers.get("last-modified");
      if (etag) fetched.etag = etag;
      if (lastModified) fetched.lastModified = lastModified;
      await Deno.rename(tmp, this.#blob(fetched.digest));
      const metaTmp = `${metaPath}.${crypto.randomUUID()}.tmp`;
      await Deno.writeTextFile(metaTmp, JSON.stringify(fetched));
      await Deno.rename(metaTmp, metaPath);
      return fetched;
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw new FileOpError(`ADD failed: downloading ${url}: ${(e as Error).message}`, { cause: e });
    }
  }
}
