/**
 * A single-platform build's image: stored, named by its tags, and written to each `--output` (pushed, OCI layout,
 * docker archive, filesystem tree or tar).
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { type Compression, compressLayers, LayerCompressor } from "../snapshotter/mod.ts";
import { parseReference, type Reference } from "../registry/mod.ts";
import {
  annotationsFor,
  checkSinglePlatformAnnotations,
  compressForPush,
  imageRecord,
  pushImage,
  type StoredImage,
  storeImage,
  writeDockerArchive,
  writeLocalOutput,
  writeOciLayout,
} from "../exporter/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { BuildSession } from "./session.ts";
import type { PlatformBuild } from "./solve_platform.ts";
import type { CachedLayer } from "../solver/mod.ts";
import type { BuildRequest, OutputSpec } from "./request.ts";

/** How layers will be compressed when the image leaves the store. */
export function compressionOf(req: BuildRequest): Compression {
  return req.compression ?? { compression: "gzip" };
}

/**
 * Whether any output takes the image out of the store (so its layers must be compressed now). A named image with
 * provenance too: an attestation names its image's manifest digest, which compressing the layers at `tsbuild push`
 * would change.
 */
export function leavesStore(req: BuildRequest): boolean {
  return (!!req.provenance && req.tags.length > 0) ||
    req.outputs.some((o) => (o.type === "image" && o.push) || o.type === "oci" || o.type === "docker");
}

/**
 * An image's layers as they go into its manifest: compressed when the image leaves the store (one kept under a tag
 * remembers how it will be), and then, when it is pushed, each layer compressed now is uploaded to the first tag's
 * repository while it is compressed (exporter/push.ts), where the image push finds it.
 */
export async function manifestLayers(
  s: BuildSession,
  compressor: LayerCompressor,
  chain: CachedLayer[],
): Promise<CachedLayer[]> {
  const { req } = s;
  if (!leavesStore(req)) return chain;
  // Recompressing a base image's layer needs its blob here, which a cached build may never have fetched.
  if (req.compression?.force) { for (const l of chain) await s.images.ensureBlob(l); }
  const pushTo = req.outputs.some((o) => o.type === "image" && o.push) && req.tags[0];
  return pushTo
    ? await compressForPush(s.registry, compressor, chain, compressionOf(req), parseReference(pushTo), s.log)
    : await compressLayers(compressor, chain, compressionOf(req));
}

/** Stores the image, names it by every tag and writes every output. */
export async function exportImage(s: BuildSession, b: PlatformBuild): Promise<StoredImage> {
  const { req, layers, registry, images } = s;
  const compression = compressionOf(req);
  const leaves = leavesStore(req);
  const imageLayers = await manifestLayers(s, new LayerCompressor(layers.content), b.layers);
  const image = await storeImage(
    layers.content,
    b.config,
    imageLayers,
    req.format,
    annotationsFor(req.annotations, "manifest"),
  );
  // Named like `docker build -t` names: later builds, `history` and `push` find the image here.
  for (const tag of req.tags) {
    const created = b.config.created ?? new Date().toISOString();
    await s.index.put(imageRecord(parseReference(tag).toString(), image, created, leaves ? undefined : compression));
  }

  for (const out of req.outputs) {
    switch (out.type) {
      case "image": {
        if (!out.push) break;
        const refs = pushRefs(req.tags, out.pushByDigest ? image.manifestDesc.digest : undefined);
        await pushImage(registry, layers.content, image, refs, images, s.log);
        break;
      }
      case "oci":
      case "docker":
        await writeImageArchive(s, out, image);
        break;
      case "local":
      case "tar":
        await writeFilesystem(s, out, b.root.layers);
        break;
    }
  }
  return image;
}

/** One image as an OCI layout (dir or tar) or a docker archive named by the tags; its layers fetched if need be. */
export async function writeImageArchive(
  s: BuildSession,
  out: Extract<OutputSpec, { type: "oci" | "docker" }>,
  image: StoredImage,
): Promise<void> {
  const { req, layers } = s;
  for (const l of image.layers) await s.images.ensureBlob(l);
  await viaStdout(req.storeRoot, out.dest, async (dest) => {
    await Deno.mkdir(dirname(dest), { recursive: true });
    if (out.type === "oci") {
      await writeOciLayout(dest, out.tar ? "tar" : "dir", layers.content, [{
        desc: image.manifestDesc,
        refName: req.tags[0] ? parseReference(req.tags[0]).tag ?? "latest" : undefined,
      }]);
    } else {
      await writeDockerArchive(dest, layers.content, {
        manifest: image.manifest,
        config: image.configBytes,
        tags: req.tags.map((t) => parseReference(t).familiar()),
      });
    }
  });
  s.log(`exported ${out.type} to ${out.dest === "-" ? "stdout" : out.dest}`);
}

/** One platform's filesystem (`chain` unpacked) as a directory or a tar. */
export async function writeFilesystem(
  s: BuildSession,
  out: Extract<OutputSpec, { type: "local" | "tar" }>,
  chain: CachedLayer[],
): Promise<void> {
  for (const l of chain) await s.images.ensureBlob(l);
  await viaStdout(s.req.storeRoot, out.dest, (dest) => writeLocalOutput(s.layers, chain, dest, out.type === "tar"));
  s.log(`exported filesystem to ${out.dest === "-" ? "stdout" : out.dest}`);
}

/** The references a push goes to: the tags, or with `push-by-digest` each tag's repository at `digest`, untagged. */
export function pushRefs(tags: string[], digest?: string): Reference[] {
  const refs = tags.map(parseReference);
  if (!digest) return refs;
  const repos = new Map(refs.map((r) => [`${r.registry}/${r.repository}`, r]));
  return [...repos.keys()].map((repo) => parseReference(`${repo}@${digest}`));
}

/** Outputs that cannot work, refused before anything is built. */
export function checkOutputs(req: BuildRequest, platforms: number): void {
  for (const out of req.outputs) {
    if (out.type === "image" && out.push && req.tags.length === 0) {
      throw new TsbuildError("--push needs at least one -t/--tag");
    }
    if (out.type === "oci" && out.dest === "-" && !out.tar) {
      throw new TsbuildError("--output type=oci,tar=false needs a directory as dest, not -");
    }
    if (out.type === "local" && out.dest === "-") {
      throw new TsbuildError("--output type=local needs a directory as dest; use type=tar,dest=- for a tar on stdout");
    }
    // BuildKit's own words: a docker archive holds one image manifest per tag, never an index.
    if (out.type === "docker" && platforms > 1) {
      throw new TsbuildError("docker exporter does not currently support exporting manifest lists");
    }
  }
  // With provenance a single platform's result is an index too.
  if (platforms === 1 && !req.provenance) checkSinglePlatformAnnotations(req.annotations);
}

/**
 * Runs `write` on `dest`, or for `-` on a temp file in the store that is then streamed to stdout (the writers
 * rename temp files into place, which a pipe cannot take) and removed.
 */
export async function viaStdout(
  storeRoot: string,
  dest: string,
  write: (path: string) => Promise<void>,
): Promise<void> {
  if (dest !== "-") return await write(resolve(dest));
  const dir = join(storeRoot, "tmp");
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `stdout-${crypto.randomUUID()}`);
  try {
    await write(tmp);
    const f = await Deno.open(tmp);
    await f.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
