import { sha256Digest } from "../snapshotter/mod.ts";
import {
  Annotation,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  isIndex,
  isManifest,
  type Platform,
  platformMatches,
} from "../oci/mod.ts";
import { OciLayoutError, readOciLayout } from "./oci_layout.ts";

/** One image read out of an OCI layout (dir or tar), with its documents verified against their digests. */
export interface LayoutImage {
  /** `oci-layout://<path>@<manifest digest>`: a name that pins exactly this image. */
  pinned: string;
  path: string;
  manifestDigest: string;
  manifest: ImageManifest;
  manifestBytes: Uint8Array;
  config: ImageConfig;
  configBytes: Uint8Array;
  readBlob(digest: string): ReadableStream<Uint8Array>;
  close(): Promise<void>;
}

/** Splits BuildKit's `oci-layout://<path>[:tag][@digest]` (the scheme is optional). */
export function parseLayoutName(name: string): { path: string; tag?: string; digest?: string } {
  let rest = name.replace(/^oci-layout:\/\//, "");
  let digest: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at > 0 && /^sha256:[a-f0-9]{64}$/.test(rest.slice(at + 1))) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > 0 && !rest.slice(colon + 1).includes("/") && /^[\w][\w.-]{0,127}$/.test(rest.slice(colon + 1))) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { path: rest, tag, digest };
}

async function readVerified(
  read: (d: string) => ReadableStream<Uint8Array>,
  d: Descriptor,
  path: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(await new Response(read(d.digest)).arrayBuffer());
  if (sha256Digest(bytes) !== d.digest) throw new OciLayoutError(`${path}: blob ${d.digest} does not match its digest`);
  return bytes;
}

/** Opens the image `name` selects (by digest, by tag, or the only one) for `platform`. */
export async function openLayoutImage(name: string, platform: Platform): Promise<LayoutImage> {
  const { path, tag, digest } = parseLayoutName(name);
  const layout = await readOciLayout(path);
  try {
    let candidates = layout.index.manifests;
    if (digest) candidates = candidates.filter((d) => d.digest === digest);
    else if (tag) candidates = candidates.filter((d) => d.annotations?.[Annotation.RefName] === tag);
    let desc: Descriptor | undefined = candidates[0];
    if (!desc && digest) desc = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest, size: -1 };
    if (!desc) throw new OciLayoutError(`${path}: no image${tag ? ` tagged "${tag}"` : ""} in the layout`);
    if (candidates.length > 1 && !tag && !digest) {
      const byPlatform = candidates.find((d) => platformMatches(platform, d.platform));
      if (byPlatform) desc = byPlatform;
    }
    for (let depth = 0; isIndex(desc.mediaType) && depth < 4; depth++) {
      const idx = JSON.parse(new TextDecoder().decode(await readVerified(layout.readBlob, desc, path))) as ImageIndex;
      const next: Descriptor | undefined = idx.manifests.find((m) => platformMatches(platform, m.platform)) ??
        (idx.manifests.length === 1 ? idx.manifests[0] : undefined);
      if (!next) {
        throw new OciLayoutError(`${path}: no manifest for ${platform.os}/${platform.architecture} in the index`);
      }
      desc = next;
    }
    const manifestBytes = desc.size === -1
      ? new Uint8Array(await new Response(layout.readBlob(desc.digest)).arrayBuffer())
      : await readVerified(layout.readBlob, desc, path);
    if (sha256Digest(manifestBytes) !== desc.digest) {
      throw new OciLayoutError(`${path}: manifest ${desc.digest} does not match its digest`);
    }
    const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ImageManifest;
    if (manifest.mediaType && !isManifest(manifest.mediaType)) {
      throw new OciLayoutError(`${path}: ${desc.digest} is not an image manifest`);
    }
    const configBytes = await readVerified(layout.readBlob, manifest.config, path);
    return {
      pinned: `oci-layout://${path}@${desc.digest}`,
      path,
      manifestDigest: desc.digest,
      manifest,
      manifestBytes,
      config: JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig,
      configBytes,
      readBlob: layout.readBlob,
      close: layout.close,
    };
  } catch (e) {
    await layout.close();
    throw e;
  }
}
