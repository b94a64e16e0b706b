import type { ImageConfig, ImageManifest, Platform } from "../oci/mod.ts";
import { formatPlatform } from "../oci/mod.ts";
import { parseReference, type Reference, type RegistryClient } from "../registry/mod.ts";
import { openLayoutImage, readOciLayout } from "../exporter/mod.ts";
import type { ContentStore } from "../snapshotter/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { CachedLayer } from "./cache_store.ts";

/** A base image pinned to one platform's manifest. */
export interface PinnedImage {
  /** A name that pins exactly this image: `registry/repo@digest` or `oci-layout://path@digest`. */
  ref: string;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: CachedLayer[];
}

/** Where a blob that is not in the store yet can be read from. */
type Origin = { registry: Reference } | { layout: string };

/**
 * Resolves base images once per build (the frontend asks for configs, the solver for layers) from a registry or an
 * OCI layout (`oci-layout://`, for air-gapped builds), and remembers where each blob came from, so that layers are
 * fetched lazily: only when a step needs the filesystem, or an output needs the bytes and the registry cannot mount
 * them.
 */
export class ImageSource {
  #registry: RegistryClient;
  #content: ContentStore;
  #pinned = new Map<string, Promise<PinnedImage>>();
  #origins = new Map<string, Origin>();

  constructor(registry: RegistryClient, content: ContentStore) {
    this.#registry = registry;
    this.#content = content;
  }

  /** Registry repositories blobs came from, for cross-repository mounts when pushing. */
  get origins(): Map<string, Reference> {
    const out = new Map<string, Reference>();
    for (const [d, o] of this.#origins) if ("registry" in o) out.set(d, o.registry);
    return out;
  }

  resolve(refText: string, platform: Platform): Promise<PinnedImage> {
    const id = `${refText}|${formatPlatform(platform)}`;
    let p = this.#pinned.get(id);
    if (!p) {
      p = refText.startsWith("oci-layout://") ? this.#resolveLayout(refText, platform) : this.#resolveRegistry(refText, platform);
      this.#pinned.set(id, p);
      p.catch(() => this.#pinned.delete(id));
    }
    return p;
  }

  async #resolveRegistry(refText: string, platform: Platform): Promise<PinnedImage> {
    const ref = parseReference(refText);
    const r = await this.#registry.resolveImage(ref, platform);
    const layers = layersOf(r.manifest, r.config, ref.familiar());
    for (const l of layers) this.#origins.set(l.digest, { registry: r.ref });
    // Keep manifest and config in the store: the exporter and `tsbuild history` read them from there.
    await this.#content.writeBytes(r.manifestBytes);
    await this.#content.writeBytes(r.configBytes);
    return { ref: r.ref.toString(), manifestDigest: r.manifestDigest, manifest: r.manifest, config: r.config, layers };
  }

  async #resolveLayout(name: string, platform: Platform): Promise<PinnedImage> {
    const img = await openLayoutImage(name, platform);
    try {
      const layers = layersOf(img.manifest, img.config, name);
      for (const l of layers) this.#origins.set(l.digest, { layout: img.path });
      await this.#content.writeBytes(img.manifestBytes);
      await this.#content.writeBytes(img.configBytes);
      return { ref: img.pinned, manifestDigest: img.manifestDigest, manifest: img.manifest, config: img.config, layers };
    } finally {
      await img.close();
    }
  }

  /** Makes sure a layer blob is in the content store, fetching it from its origin if needed (digest verified). */
  async ensureBlob(l: CachedLayer): Promise<void> {
    if (await this.#content.has(l.digest)) return;
    const origin = this.#origins.get(l.digest);
    if (!origin) throw new TsbuildError(`layer ${l.digest} is neither in the store nor in a known registry or layout`);
    if ("registry" in origin) {
      const stream = await this.#registry.fetchBlob(origin.registry, { mediaType: l.mediaType, digest: l.digest, size: l.size });
      await this.#content.writeStream(stream, { digest: l.digest, size: l.size });
      return;
    }
    const layout = await readOciLayout(origin.layout);
    try {
      await this.#content.writeStream(layout.readBlob(l.digest), { digest: l.digest, size: l.size });
    } finally {
      await layout.close();
    }
  }
}

function layersOf(manifest: ImageManifest, config: ImageConfig, name: string): CachedLayer[] {
  const diffIDs = config.rootfs?.diff_ids ?? [];
  if (diffIDs.length !== manifest.layers.length) {
    throw new TsbuildError(`image ${name}: config lists ${diffIDs.length} diff_ids for ${manifest.layers.length} layers`);
  }
  return manifest.layers.map((l, i) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, diffID: diffIDs[i] }));
}
