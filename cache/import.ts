import { join } from "node:path";
import {
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  isIndex,
  layerCompression,
  MediaType,
  type Platform,
} from "../oci/mod.ts";
import { type ContentStore, decompressStream, verifiedStream } from "../snapshotter/mod.ts";
import { parseReference, type Reference, type RegistryClient, RegistryError } from "../registry/mod.ts";
import type { CachedLayer, CacheImportSource, CacheRecord } from "../solver/mod.ts";
import {
  CACHE_CONFIG_MEDIA_TYPE,
  type CacheConfig,
  type CacheLayerEntry,
  decodeCacheConfig,
  decodeInline,
  INLINE_CACHE_KEY,
} from "./format.ts";
import { type CacheImportSpec, describeCacheSpec } from "./spec.ts";

/** What an import reads from and writes to. */
export interface CacheImportDeps {
  content: ContentStore;
  registry: RegistryClient;
  /** The build's platform: an image index given as cache source is read for it. */
  platform: Platform;
  /** Shown to the user: a cache that cannot be read is a warning, the build goes on without it. */
  warn(message: string): void;
}

/** One loaded `--cache-from`: its document and how to open a layer's blob. */
interface LoadedCache {
  name: string;
  config: CacheConfig;
  byKey: Map<string, CacheConfig["records"][number]>;
  /** The blob holding a layer, or undefined when this source does not carry it. */
  open(entry: CacheLayerEntry): Promise<{ desc: Descriptor; stream: ReadableStream<Uint8Array> } | undefined>;
}

/**
 * `--cache-from` sources, consulted by the solver on a local miss. Sources are read on the first miss, and a layer
 * blob only when a hit needs it: it is fetched (digest verified), decompressed and stored under its diffID (verified
 * again), so the record then passes the solver's own blob check and later builds hit locally. A record whose blobs
 * cannot be fetched is a miss, never a hit.
 */
export class CacheImporter implements CacheImportSource {
  #specs: CacheImportSpec[];
  #deps: CacheImportDeps;
  #loaded?: Promise<LoadedCache[]>;
  #fetching = new Map<string, Promise<CachedLayer | undefined>>();

  constructor(specs: CacheImportSpec[], deps: CacheImportDeps) {
    this.#specs = specs;
    this.#deps = deps;
  }

  async lookup(key: string): Promise<CacheRecord | undefined> {
    this.#loaded ??= Promise.all(this.#specs.map((s) => this.#load(s)))
      .then((all) => all.filter((c): c is LoadedCache => c !== undefined));
    for (const src of await this.#loaded) {
      const rec = src.byKey.get(key);
      if (!rec) continue;
      // The key covers the step's input chain, so the record's chain is the one the step would build on.
      const layers: CachedLayer[] = [];
      for (const i of rec.layers) {
        const l = await this.#layer(src, src.config.layers[i]);
        if (!l) break;
        layers.push(l);
      }
      if (layers.length !== rec.layers.length) continue;
      return { key, layers, empty: rec.empty, inputs: {}, created: rec.created };
    }
    return undefined;
  }

  /** The layer as the store holds it, fetching it first when missing; undefined when it cannot be had. */
  #layer(src: LoadedCache, entry: CacheLayerEntry): Promise<CachedLayer | undefined> {
    const id = `${src.name}\0${entry.diffID}`;
    let p = this.#fetching.get(id);
    if (!p) {
      p = this.#fetch(src, entry).catch((e) => {
        this.#deps.warn(`cache ${src.name}: layer ${entry.diffID} cannot be imported: ${(e as Error).message}`);
        return undefined;
      });
      this.#fetching.set(id, p);
    }
    return p;
  }

  async #fetch(src: LoadedCache, entry: CacheLayerEntry): Promise<CachedLayer | undefined> {
    const content = this.#deps.content;
    if (entry.asBlob && entry.blob) {
      // A base image layer: named as its image names it, pulled from there when something needs its bytes.
      const b = entry.blob;
      return { mediaType: b.mediaType, digest: b.digest, size: b.size, diffID: entry.diffID };
    }
    let size = await content.size(entry.diffID);
    if (size === undefined) {
      const got = await src.open(entry);
      if (!got) return undefined;
      size = (await content.writeStream(decompressStream(got.stream, layerCompression(got.desc.mediaType)), {
        digest: entry.diffID,
      })).size;
    }
    return { mediaType: MediaType.OciLayer, digest: entry.diffID, size, diffID: entry.diffID };
  }

  async #load(spec: CacheImportSpec): Promise<LoadedCache | undefined> {
    const name = describeCacheSpec(spec);
    try {
      const c = spec.type === "local"
        ? await this.#loadLocal(spec.src, name)
        : await this.#loadRegistry(spec.ref, name);
      if (!c) this.#deps.warn(`failed to import cache ${name}: not found`);
      return c;
    } catch (e) {
      this.#deps.warn(`failed to import cache ${name}: ${(e as Error).message}`);
      return undefined;
    }
  }

  async #loadLocal(dir: string, name: string): Promise<LoadedCache | undefined> {
    const blobPath = (digest: string) => join(dir, "blobs", "sha256", digest.slice(7));
    let index: ImageIndex;
    try {
      index = JSON.parse(await Deno.readTextFile(join(dir, "index.json")));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    const desc = index.manifests?.find((d) => d.annotations?.["org.opencontainers.image.ref.name"] === "latest") ??
      index.manifests?.[0];
    if (!desc) return undefined;
    const read = async (d: Descriptor) =>
      new Uint8Array(await new Response(verifiedStream(await openFile(blobPath(d.digest)), d)).arrayBuffer());
    const manifest = JSON.parse(new TextDecoder().decode(await read(desc))) as ImageManifest;
    if (manifest.config?.mediaType !== CACHE_CONFIG_MEDIA_TYPE) throw new Error(`${dir} holds no cache manifest`);
    const config = decodeCacheConfig(await read(manifest.config), name);
    const carried = new Set(manifest.layers.map((l) => l.digest));
    return loaded(name, config, async (entry) => {
      const d = entry.blob;
      if (!d || !carried.has(d.digest)) return undefined;
      return { desc: d, stream: verifiedStream(await openFile(blobPath(d.digest)), d) };
    });
  }

  async #loadRegistry(refText: string, name: string): Promise<LoadedCache | undefined> {
    const reg = this.#deps.registry;
    const ref = parseReference(refText);
    let m;
    try {
      m = await reg.getManifest(ref);
    } catch (e) {
      if (e instanceof RegistryError && e.status === 404) return undefined;
      throw e;
    }
    const json = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;
    if (!isIndex(m.mediaType)) {
      const manifest = json<ImageManifest>(m.bytes);
      if (manifest.config?.mediaType === CACHE_CONFIG_MEDIA_TYPE) {
        const bytes = new Uint8Array(await new Response(await reg.fetchBlob(ref, manifest.config)).arrayBuffer());
        const carried = new Set(manifest.layers.map((l) => l.digest));
        return loaded(name, decodeCacheConfig(bytes, name), async (entry) => {
          const d = entry.blob;
          if (!d || !carried.has(d.digest)) return undefined;
          return { desc: d, stream: await reg.fetchBlob(ref, d) };
        });
      }
    }
    // An image: its cache is inline, in its config, and its layers are the cache's blobs.
    const image = await reg.resolveImage(ref, this.#deps.platform);
    const value = (image.config as ImageConfig & Record<string, unknown>)[INLINE_CACHE_KEY];
    if (typeof value !== "string") {
      throw new Error(`image ${ref.familiar()} carries no inline cache (build it with --cache-to type=inline)`);
    }
    const byDiffID = new Map<string, Descriptor>();
    image.config.rootfs.diff_ids.forEach((id, i) =>
      image.manifest.layers[i] && byDiffID.set(id, image.manifest.layers[i])
    );
    const imageRef: Reference = image.ref;
    return loaded(name, decodeInline(value, name), async (entry) => {
      const d = byDiffID.get(entry.diffID);
      if (!d) return undefined;
      return { desc: d, stream: await reg.fetchBlob(imageRef, d) };
    });
  }
}

function loaded(name: string, config: CacheConfig, open: LoadedCache["open"]): LoadedCache {
  return { name, config, byKey: new Map(config.records.map((r) => [r.key, r])), open };
}

async function openFile(path: string): Promise<ReadableStream<Uint8Array>> {
  return (await Deno.open(path)).readable;
}
