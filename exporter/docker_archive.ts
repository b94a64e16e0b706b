import type { ImageIndex, ImageManifest } from "../oci/mod.ts";
import { Annotation, digestBytes, MediaType } from "../oci/mod.ts";
import { TsbuildError } from "../errors.ts";
import { blobPath, type BlobSource, OciLayoutError, reachableBlobs, tarSink, writeLayout } from "./oci_layout.ts";

/** The part of `manifest.json` docker load reads. */
interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/**
 * Writes a `docker load` archive the way Docker 25+ `docker save` does: an OCI layout (blobs/sha256/…, index.json)
 * plus the legacy `manifest.json` naming the config, layers and tags, so both old and new docker (and skopeo's
 * `docker-archive:`/`oci-archive:`) read it. Layers keep their compression: `docker load` detects it. `tags` are
 * in familiar form (`busybox:latest`), as docker prints them.
 */
export async function writeDockerArchive(
  dest: string,
  blobs: BlobSource,
  image: { manifest: ImageManifest; config: Uint8Array; tags: string[] },
): Promise<void> {
  const manifestBytes = new TextEncoder().encode(JSON.stringify(image.manifest));
  const manifestDigest = await digestBytes(manifestBytes);
  const configDigest = await digestBytes(image.config);
  if (configDigest !== image.manifest.config.digest) {
    throw new OciLayoutError(
      `writing ${dest}: the config given has digest ${configDigest}, the manifest names ${image.manifest.config.digest}`,
    );
  }
  // The manifest may never have been stored in this form: serve it (and the config) from memory.
  const extra = new Map([[manifestDigest, manifestBytes], [configDigest, image.config]]);
  const source: BlobSource = {
    readStream: (d) => (extra.has(d) ? ReadableStream.from([extra.get(d)!]) : blobs.readStream(d)),
    size: async (d) => extra.get(d)?.length ?? await blobs.size(d),
  };
  const mediaType = image.manifest.mediaType ?? MediaType.OciManifest;
  const desc = { mediaType, digest: manifestDigest, size: manifestBytes.length };
  const all = await reachableBlobs(source, [desc]);
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: (image.tags.length ? image.tags : [undefined]).map((tag) => ({
      ...desc,
      ...(tag
        ? {
          annotations: { "io.containerd.image.name": dockerName(tag), [Annotation.RefName]: tag.replace(/^.*:/, "") },
        }
        : {}),
    })),
  };
  const entry: DockerArchiveEntry = {
    Config: blobPath(configDigest),
    RepoTags: image.tags.length ? image.tags : null,
    Layers: image.manifest.layers.map((l) => blobPath(l.digest)),
  };
  const sink = await tarSink(dest);
  try {
    await writeLayout(sink, source, all, index, [{
      name: "manifest.json",
      bytes: new TextEncoder().encode(JSON.stringify([entry])),
    }]);
    await sink.finish();
  } catch (e) {
    await sink.abort();
    if (e instanceof TsbuildError) throw e;
    throw new OciLayoutError(`writing the docker archive ${dest}: ${(e as Error).message}`, { cause: e });
  }
}

/** `busybox:latest` → `docker.io/library/busybox:latest`, the name containerd's importer expects. */
function dockerName(tag: string): string {
  const first = tag.split("/")[0];
  if (tag.includes("/") && (/[.:]/.test(first) || first === "localhost")) return tag;
  return `docker.io/${tag.includes("/") ? "" : "library/"}${tag}`;
}

