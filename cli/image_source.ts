import { parseReference, type Reference, RegistryClient } from "../registry/mod.ts";
import { openLayoutImage } from "../exporter/mod.ts";
import { hostPlatform, type ImageConfig, type ImageManifest, parsePlatform } from "../oci/mod.ts";
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

/** An image built into the store under `name` (`tsbuild build -t name`), if there is one. */
export async function openStoredImage(name: string, root: string): Promise<OpenedImage | undefined> {
  let ref: Reference;
  try {
    ref = parseReference(name);
  } catch {
    return undefined;
  }
  const rec = await new ImageIndex(root).get(ref.toString());
  if (!rec) return undefined;
  const content = new ContentStore(root);
  const manifestBytes = await content.readBytes(rec.manifestDigest);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ImageManifest;
  const config = JSON.parse(new TextDecoder().decode(await content.readBytes(manifest.config.digest))) as ImageConfig;
  return {
    name: ref.toString(),
    manifestDigest: rec.manifestDigest,
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
    const stored = await openStoredImage(name, opts.root);
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
