/**
 * The provenance of a build's images (`--provenance`): each platform's facts (its Dockerfile, parameters, base
 * images as resolved, the secret and SSH ids its steps mount) made into a statement and stored as the image's
 * attestation manifest (exporter/provenance.ts).
 *
 * @module
 */
import { basename } from "node:path";
import type { ExecVertex, ImageVertex } from "../graph/mod.ts";
import {
  type PlatformImage,
  type ProvenanceMode,
  provenanceStatement,
  storeAttestation,
  type StoredImage,
} from "../exporter/mod.ts";
import type { BuildSession } from "./session.ts";
import type { PlatformBuild } from "./solve_platform.ts";

/**
 * The attestation maker exportIndex calls per image. Timestamps and the invocation ID are left out of a
 * reproducible build (SOURCE_DATE_EPOCH), so that its index digest stays the same from one build to the next.
 */
export function provenanceAttester(
  s: BuildSession,
  mode: ProvenanceMode,
  startedOn: Date,
): (b: PlatformBuild, image: StoredImage) => Promise<PlatformImage> {
  const reproducible = s.req.sourceDateEpoch !== undefined;
  const invocationId = crypto.randomUUID().replaceAll("-", "").slice(0, 25);
  return async (b, image) => {
    const vertices = b.graph.vertices;
    const images = vertices.filter((v): v is ImageVertex => v.kind === "image");
    const mounts = vertices.filter((v): v is ExecVertex => v.kind === "exec").flatMap((v) => v.mounts);
    const ids = (type: "secret" | "ssh") => [...new Set(mounts.flatMap((m) => (m.type === type ? [m.id] : [])))];
    const statement = provenanceStatement(image.manifestDesc, s.req.tags, {
      dockerfile: { path: s.req.dockerfilePath === "-" ? "Dockerfile" : basename(s.shownPath), source: s.dockerfile },
      buildArgs: s.req.buildArgs,
      labels: s.req.labels,
      target: s.req.target,
      secrets: ids("secret"),
      ssh: ids("ssh"),
      platform: b.platform,
      materials: [...new Map(images.map((v) => [`${v.ref}@${v.digest}`, v])).values()],
      ...(reproducible ? {} : {
        startedOn: startedOn.toISOString(),
        finishedOn: new Date().toISOString(),
        invocationId,
      }),
    }, mode);
    return await storeAttestation(s.layers.content, image, statement);
  };
}
