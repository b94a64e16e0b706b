/**
 * A multi-platform build's result: each platform's image stored, an index (OCI) or manifest list (`--format
 * docker`) naming them by platform, the tags naming the index, and each `--output` written as BuildKit writes a
 * multi-platform result (the index pushed after every platform's image, an OCI layout rooted at the index, a
 * filesystem tree or tar with one `os_arch` directory per platform).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { LayerCompressor } from "../snapshotter/mod.ts";
import { parseReference } from "../registry/mod.ts";
import {
  annotationsFor,
  indexRecord,
  platformDir,
  type PlatformImage,
  pushIndex,
  type StoredIndex,
  storeImage,
  storeIndex,
  writeMultiLocal,
  writeOciLayout,
} from "../exporter/mod.ts";
import type { BuildSession } from "./session.ts";
import type { PlatformBuild } from "./solve_platform.ts";
import type { Provenance } from "./attestations.ts";
import {
  compressionOf,
  leavesStore,
  manifestLayers,
  pushRefs,
  viaStdout,
  writeFilesystem,
  writeImageArchive,
} from "./outputs.ts";

/**
 * Stores every platform's image and their index, names the index by every tag and writes every output. With
 * `provenance`, each image gets its attestation manifest, listed after every image as BuildKit lists them, and a
 * local output a `provenance.json` per platform; a single-platform build comes here only for that, and its
 * filesystem and docker outputs are then written as exportImage writes them.
 */
export async function exportIndex(
  s: BuildSession,
  builds: PlatformBuild[],
  provenance?: Provenance,
): Promise<StoredIndex> {
  const { req, layers, images } = s;
  const compression = compressionOf(req);
  const leaves = leavesStore(req);
  const compressor = new LayerCompressor(layers.content);
  const platformImages: PlatformImage[] = [];
  const allLayers = [];
  for (const b of builds) {
    const imageLayers = await manifestLayers(s, compressor, b.layers);
    allLayers.push(...imageLayers);
    platformImages.push({
      platform: b.platform,
      image: await storeImage(
        layers.content,
        b.config,
        imageLayers,
        req.format,
        annotationsFor(req.annotations, "manifest", b.platform),
      ),
      annotations: annotationsFor(req.annotations, "manifest-descriptor", b.platform),
    });
  }
  if (provenance) {
    const attestations = [];
    for (const [i, b] of builds.entries()) attestations.push(await provenance.attest(b, platformImages[i].image));
    platformImages.push(...attestations);
  }
  const stored = await storeIndex(layers.content, platformImages, req.format, annotationsFor(req.annotations, "index"));
  const created = builds[0].config.created ?? new Date().toISOString();
  for (const tag of req.tags) {
    await s.index.put(indexRecord(parseReference(tag).toString(), stored, created, leaves ? undefined : compression));
  }

  for (const out of req.outputs) {
    switch (out.type) {
      case "image": {
        if (!out.push) break;
        const refs = pushRefs(req.tags, out.pushByDigest ? stored.desc.digest : undefined);
        await pushIndex(s.registry, layers.content, stored, refs, images, s.log);
        break;
      }
      case "oci": {
        for (const l of allLayers) await images.ensureBlob(l);
        await viaStdout(req.storeRoot, out.dest, async (dest) => {
          await Deno.mkdir(dirname(dest), { recursive: true });
          await writeOciLayout(dest, out.tar ? "tar" : "dir", layers.content, [{
            desc: stored.desc,
            refName: req.tags[0] ? parseReference(req.tags[0]).tag ?? "latest" : undefined,
          }]);
        });
        s.log(`exported oci index to ${out.dest === "-" ? "stdout" : out.dest}`);
        break;
      }
      case "docker":
        // Several platforms are refused before the build (checkOutputs); one goes without its attestations.
        await writeImageArchive(s, out, platformImages[0].image);
        s.warn("attestations are not exported to a docker archive (it holds no index)");
        break;
      case "local":
      case "tar": {
        if (provenance && out.type === "tar") {
          s.warn("provenance is not written into a tar output (a local one has it)");
        }
        if (builds.length === 1) {
          await writeFilesystem(s, out, builds[0].root.layers);
          if (provenance && out.type === "local") await provenance.writeBeside(builds[0], out.dest);
          break;
        }
        for (const b of builds) for (const l of b.root.layers) await images.ensureBlob(l);
        const chains = builds.map((b) => ({ platform: b.platform, chain: b.root.layers }));
        await viaStdout(req.storeRoot, out.dest, (dest) => writeMultiLocal(layers, chains, dest, out.type === "tar"));
        if (provenance && out.type === "local") {
          for (const b of builds) await provenance.writeBeside(b, join(out.dest, platformDir(b.platform)));
        }
        s.log(`exported ${builds.length} platforms' filesystems to ${out.dest === "-" ? "stdout" : out.dest}`);
        break;
      }
    }
  }
  return stored;
}
