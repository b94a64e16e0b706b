import { parseReference, type Reference, RegistryClient } from "../registry/mod.ts";
import { openLayoutImage } from "../exporter/mod.ts";
import {
  hostPlatform,
  type ImageConfig,
  type ImageIndex as OciImageIndex,
  type ImageManifest,
  isIndex,
  parsePlatform,
  type Platform,
} from "../oci/mod.ts";
import { ContentStore, ImageIndex, type ImageRecord } from "../snapshotter/mod.ts";
import { TsbuildError } from "../errors.ts";

/** An image to read, from a registry or an OCI layout (`oci-layout:///path[:tag]`, a dir or a .tar). */
export interface OpenedImage {
  name: string;
  manifestDigest: string;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  config: ImageConfig;
  readBlob(digest: string): Promise<ReadableStream<Uint8Array>>;
  close(): Promise<void>;
  /** The store's record, for an image built into the store. */
  record?: ImageRecord;
}

/** Whether a name points at a local OCI layout rather than a registry. */
export function isLayoutName(name: string): boolean {
  return name.startsWith("oci-layout://") || name.startsWith("/") || name.startsWith("./") || name.endsWith(".tar");
}

/**
 * An image built into the store under `name` (`tsbuild build -t name`), if there is one; of a multi-platform one,
 * the manifest for `platform` (default this machine's, else the first).
 */
export async function openStoredImage(name: string, root: string, platform?: Platform): Promise<OpenedImage | undefined> {
  let ref: Reference;
  try {
    ref = parseReference(name);
  } catch {
    return undefined;
  }
  const rec = await new ImageIndex(root).get(ref.toString());
  if (!rec) return undefined;
  const content = new ContentStore(root);
  let manifestDigest = rec.manifestDigest;
  if (isIndex(rec.mediaType)) {
    const index = JSON.parse(new TextDecoder().decode(await content.readBytes(manifestDigest))) as OciImageIndex;
    const want = platform ?? hostPlatform();
    const m = index.manifests.find((d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture) ??
      (platform ? undefined : index.manifests[0]);
    if (!m) throw new TsbuildError(`${name} has no image for ${want.os}/${want.architecture}`);
    manifestDigest = m.digest;
  }
  const manifestBytes = await content.readBytes(manifestDigest);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ImageManifest;
  const config = JSON.parse(new TextDecoder().decode(await content.readBytes(manifest.config.digest))) as ImageConfig;
  return {
    name: ref.toString(),
    manifestDigest,
    manifest,
    manifestBytes,
    config,
    readBlob: (d) => Promise.resolve(content.readStream(d)),
    close: () => Promise.resolve(),
    record: rec,
  };
}

/** Opens an image for reading from wherever `name` says: the store's own images first, then layouts, registries. */
export async function openImage(name: string, opts: { platform?: string; insecure?: string[]; root?: string } = {}): Promise<OpenedImage> {
  const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
  if (opts.root && !isLayoutName(name)) {
    const stored = await openStoredImage(name, opts.root, opts.platform ? platform : undefined);
    if (stored) return stored;
  }
  if (isLayoutName(name)) {
    const img = await openLayoutImage(name.startsWith("oci-layout://") ? name : `oci-layout://${name}`, platform);
    return {
      name,
      manifestDigest: img.manifestDigest,
      manifest: img.manifest,
      manifestBytes: img.manifestBytes,
      config: img.config,
      readBlob: (d) => Promise.resolve(img.readBlob(d)),
      close: img.close,
    };
  }
  const client = new RegistryClient({ insecureRegistries: opts.insecure });
  const ref: Reference = parseReference(name);
  const r = await client.resolveImage(ref, platform);
  return {
    name: ref.toString(),
    manifestDigest: r.manifestDigest,
    manifest: r.manifest,
    manifestBytes: r.manifestBytes,
    config: r.config,
    readBlob: (d) => {
      const l = [...r.manifest.layers, r.manifest.config].find((x) => x.digest === d);
      if (!l) throw new TsbuildError(`${d} is not part of ${name}`);
      return client.fetchBlob(r.ref, l);
    },
    close: () => Promise.resolve(),
  };
}
