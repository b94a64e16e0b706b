/**
 * The provenance of a build's results (`--provenance`): each platform's facts (its Dockerfile, parameters, base
 * images as resolved, the secret and SSH ids its steps mount) made into a statement, about an image (stored as its
 * attestation manifest, exporter/provenance.ts) or about the files of a local output (written beside them as
 * `provenance.json`, as BuildKit's local exporter does).
 *
 * @module
 */
import { basename, join } from "node:path";
import type { ExecVertex, ImageVertex } from "../graph/mod.ts";
import {
  imageSubjects,
  type PlatformImage,
  type ProvenanceFacts,
  type ProvenanceMode,
  provenanceStatement,
  storeAttestation,
  type StoredImage,
  type Subject,
} from "../exporter/mod.ts";
import { nodeCrypto } from "../runtime/builtins.ts";
import type { BuildSession } from "./session.ts";
import type { PlatformBuild } from "./solve_platform.ts";

/** Makes a build's provenance statements. */
export class Provenance {
  #s: BuildSession;
  #mode: ProvenanceMode;
  #startedOn: Date;
  #invocationId = crypto.randomUUID().replaceAll("-", "").slice(0, 25);

  constructor(s: BuildSession, mode: ProvenanceMode, startedOn: Date) {
    this.#s = s;
    this.#mode = mode;
    this.#startedOn = startedOn;
  }

  /** `image`'s attestation manifest, stored, for the index (exportIndex calls this per image). */
  async attest(b: PlatformBuild, image: StoredImage): Promise<PlatformImage> {
    const subjects = imageSubjects(image.manifestDesc, this.#s.req.tags, b.platform);
    return await storeAttestation(
      this.#s.layers.content,
      image,
      provenanceStatement(subjects, this.#facts(b), this.#mode),
    );
  }

  /** `dir/provenance.json`, about every regular file below `dir` (path and sha256), as BuildKit writes it. */
  async writeBeside(b: PlatformBuild, dir: string): Promise<void> {
    const subjects = await fileSubjects(dir);
    const statement = provenanceStatement(subjects, this.#facts(b), this.#mode);
    await Deno.writeTextFile(join(dir, "provenance.json"), JSON.stringify(statement, null, 2));
  }

  /**
   * Timestamps and the invocation ID are left out of a reproducible build (SOURCE_DATE_EPOCH), so that its index
   * digest stays the same from one build to the next.
   */
  #facts(b: PlatformBuild): ProvenanceFacts {
    const { req, shownPath, dockerfile } = this.#s;
    const vertices = b.graph.vertices;
    const images = vertices.filter((v): v is ImageVertex => v.kind === "image");
    const mounts = vertices.filter((v): v is ExecVertex => v.kind === "exec").flatMap((v) => v.mounts);
    const ids = (type: "secret" | "ssh") => [...new Set(mounts.flatMap((m) => (m.type === type ? [m.id] : [])))];
    return {
      dockerfile: { path: req.dockerfilePath === "-" ? "Dockerfile" : basename(shownPath), source: dockerfile },
      buildArgs: req.buildArgs,
      labels: req.labels,
      target: req.target,
      secrets: ids("secret"),
      ssh: ids("ssh"),
      platform: b.platform,
      materials: [...new Map(images.map((v) => [`${v.ref}@${v.digest}`, v])).values()],
      ...(req.sourceDateEpoch !== undefined ? {} : {
        startedOn: this.#startedOn.toISOString(),
        finishedOn: new Date().toISOString(),
        invocationId: this.#invocationId,
      }),
    };
  }
}

/** Every regular file below `dir`, sorted by path, with its sha256. */
async function fileSubjects(dir: string): Promise<Subject[]> {
  const out: Subject[] = [];
  const walk = async (rel: string) => {
    const names = [];
    for await (const e of Deno.readDir(join(dir, rel))) names.push(e);
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of names) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        const h = nodeCrypto().createHash("sha256");
        const f = await Deno.open(join(dir, path));
        for await (const chunk of f.readable) h.update(chunk);
        out.push({ name: path, digest: { sha256: h.digest("hex") } });
      }
    }
  };
  await walk("");
  return out;
}
