import type { ImageConfig, ImageManifest, Platform } from "../oci/mod.ts";
import { formatPlatform } from "../oci/mod.ts";
import { parseReference, type Reference, type RegistryClient } from "../registry/mod.ts";
import type { ContentStore } from "../snapshotter/mod.ts";
import type { CachedLayer } from "./cache_store.ts";

/** A base image pinned to one platform's manifest. */
export interface PinnedImage {
  ref: Reference;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: CachedLayer[];
}

/**
 * Resolves base images once per build (the frontend asks for configs, the solver for layers) and remembers where
 * each blob came from, so that layers are fetched lazily: only when a step needs the filesystem, or an output needs
 * the bytes and the registry cannot mount them.
 */
export class ImageSource {
  #registry: RegistryClient;
  #content: ContentStore;
  #pinned = new Map<string, Promise<PinnedImage>>();
  /** blob digest → where it can be fetched from. */
  readonly origins = new Map<string, Reference>();

  constructor(registry: RegistryClient, content: ContentStore) {
    this.#registry = registry;
    this.#content = content;
  }

  resolve(refText: string, platform: Platform): Promise<PinnedImage> {
    const id = `${refText}|${formatPlatform(platform)}`;
    let p = this.#pinned.get(id);
    if (!p) {
      p = this.#resolve(refText, platform);
      this.#pinned.set(id, p);
      p.catch(() => this.#pinned.delete(id));
    }
    return p;
  }

  async #resolve(refText: string, platform: Platform): Promise<PinnedImage> {
    const ref = parseReference(refText);
    const r = await this.#registry.resolveImage(ref, platform);
    const diffIDs = r.config.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== r.manifest.layers.length) {
      throw new Error(`image ${ref.familiar()}: config lists ${diffIDs.length} diff_ids for ${r.manifest.layers.length} layers`);
    }
    const layers = r.manifest.layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffID: diffIDs[i] }));
    for (const l of layers) this.origins.set(l.digest, r.ref);
    // Keep manifest and config in the store: the exporter and `tsbuild history` read them from there.
    await this.#content.writeBytes(r.manifestBytes);
    await this.#content.writeBytes(r.configBytes);
    return { ref: r.ref, manifestDigest: r.manifestDigest, manifest: r.manifest, config: r.config, layers };
  }

  /** Makes sure a layer blob is in the content store, fetching it from its origin registry if needed. */
  async ensureBlob(l: CachedLayer): Promise<void> {
    if (await this.#content.has(l.digest)) return;
    const origin = this.origins.get(l.digest);
    if (!origin) throw new Error(`layer ${l.digest} is neither in the store nor in a known registry`);
    const stream = await this.#registry.fetchBlob(origin, { mediaType: l.mediaType, digest: l.digest, size: l.size });
    await this.#content.writeStream(stream, { digest: l.digest, size: l.size });
  }
}
