import type { Descriptor, ImageConfig, ImageManifest, Platform } from "../oci/mod.ts";
import { formatPlatform, platformMatches } from "../oci/mod.ts";
import { makeReference, parseReference, type Reference, type RegistryClient } from "../registry/mod.ts";
import { openLayoutImage, readOciLayout } from "../exporter/mod.ts";
import type { ContentStore, ImageIndex } from "../snapshotter/mod.ts";
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

  #index?: ImageIndex;
  #pull: boolean;

  /**
   * `index`: names of images built into this store, looked up before the registry (as `docker build` finds local
   * images) unless `pull` is set.
   */
  constructor(registry: RegistryClient, content: ContentStore, opts: { index?: ImageIndex; pull?: boolean } = {}) {
    this.#registry = registry;
    this.#content = content;
    this.#index = opts.index;
    this.#pull = opts.pull ?? false;
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
      p = refText.startsWith("oci-layout://")
        ? this.#resolveLayout(refText, platform)
        : this.#resolveRegistry(refText, platform);
      this.#pinned.set(id, p);
      p.catch(() => this.#pinned.delete(id));
    }
    return p;
  }

  async #resolveRegistry(refText: string, platform: Platform): Promise<PinnedImage> {
    const ref = parseReference(refText);
    // A digest already in the store needs no registry round trip (content addressing makes that safe); a name
    // this store built is used as docker uses its local images.
    if (ref.digest) {
      const local = await this.#fromStore(ref, ref.digest, platform);
      if (local) return local;
    } else if (!this.#pull && this.#index) {
      const rec = await this.#index.get(ref.toString());
      const local = rec && await this.#fromStore(ref, rec.manifestDigest, platform);
      if (local) return local;
    }
    if (!ref.digest) {
      // Ask the registry where the tag points now and read that from the store when an earlier build kept it: one
      // HEAD instead of manifest and config fetched, parsed and verified again (BuildKit's resolver does the same).
      const digest = await this.#tagDigest(ref);
      const local = digest && await this.#fromStore(ref, digest, platform);
      if (local) {
        const pinned = makeReference(ref.registry, ref.repository, ref.tag, digest);
        for (const l of local.layers) this.#origins.set(l.digest, { registry: pinned });
        return { ...local, ref: pinned.toString() };
      }
    }
    const r = await this.#registry.resolveImage(ref, platform);
    const layers = layersOf(r.manifest, r.config, ref.familiar());
    for (const l of layers) this.#origins.set(l.digest, { registry: r.ref });
    // Keep manifest and config in the store: the exporter and `tsbuild history` read them from there, and the next
    // build finds them by the digest its HEAD learns.
    if (r.indexBytes) await this.#content.writeBytes(r.indexBytes);
    await this.#content.writeBytes(r.manifestBytes);
    await this.#content.writeBytes(r.configBytes);
    return { ref: r.ref.toString(), manifestDigest: r.manifestDigest, manifest: r.manifest, config: r.config, layers };
  }

  /** The tag's digest from a HEAD; undefined (and the full fetch decides) for registries that do not answer it. */
  async #tagDigest(ref: Reference): Promise<string | undefined> {
    try {
      return await this.#registry.manifestDigest(ref);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 400 || status === 405 || status === 406 || status === 501) return undefined;
      throw e;
    }
  }

  async #fromStore(ref: Reference, digest: string, platform: Platform): Promise<PinnedImage | undefined> {
    if (!(await this.#content.has(digest))) return undefined;
    const manifest = JSON.parse(new TextDecoder().decode(await this.#content.readBytes(digest))) as ImageManifest & {
      manifests?: Descriptor[];
    };
    if (manifest.manifests) {
      // A multi-platform image built into the store: its index names one manifest per platform.
      // The registry path's choice (RegistryClient.resolveImage), so that a stored index picks the same manifest.
      const m = manifest.manifests.find((d) => platformMatches(platform, d.platform));
      return m ? await this.#fromStore(ref, m.digest, platform) : undefined;
    }
    if (!manifest.config || !manifest.layers || !(await this.#content.has(manifest.config.digest))) return undefined;
    const config = JSON.parse(
      new TextDecoder().decode(await this.#content.readBytes(manifest.config.digest)),
    ) as ImageConfig;
    if (config.architecture !== platform.architecture || config.os !== platform.os) return undefined;
    const layers = layersOf(manifest, config, ref.familiar());
    for (const l of layers) if (!this.#origins.has(l.digest)) this.#origins.set(l.digest, { registry: ref });
    const pinned = `${ref.registry}/${ref.repository}@${digest}`;
    return { ref: pinned, manifestDigest: digest, manifest, config, layers };
  }

  async #resolveLayout(name: string, platform: Platform): Promise<PinnedImage> {
    const img = await openLayoutImage(name, platform);
    try {
      const layers = layersOf(img.manifest, img.config, name);
      for (const l of layers) this.#origins.set(l.digest, { layout: img.path });
      await this.#content.writeBytes(img.manifestBytes);
      await this.#content.writeBytes(img.configBytes);
      return {
        ref: img.pinned,
        manifestDigest: img.manifestDigest,
        manifest: img.manifest,
        config: img.config,
        layers,
      };
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
      const stream = await this.#registry.fetchBlob(origin.registry, {
        mediaType: l.mediaType,
        digest: l.digest,
        size: l.size,
      });
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
    throw new TsbuildError(
      `image ${name}: config lists ${diffIDs.length} diff_ids for ${manifest.layers.length} layers`,
    );
  }
  return manifest.layers.map((l, i) => ({
    mediaType: l.mediaType,
    digest: l.digest,
    size: l.size,
    diffID: diffIDs[i],
  }));
}
