/**
 * `--provenance` / `--attest type=provenance`: an SLSA provenance v0.2 statement per platform image, stored as
 * BuildKit lays attestations out: an attestation manifest (config `unknown/unknown`, one `application/vnd.in-toto+json`
 * layer annotated with its predicate type) listed in the image's index with platform `unknown/unknown` and the
 * annotations `vnd.docker.reference.type: attestation-manifest` and `vnd.docker.reference.digest: <image digest>`,
 * which `docker buildx imagetools inspect`, cosign and registries' UIs read.
 *
 * `mode=min` records the builder, the Dockerfile, the frontend's non-secret parameters, the platform and the base
 * images (materials) with their digests; `mode=max` adds the build arguments and labels (values included, as
 * BuildKit warns), the secret and SSH ids and the Dockerfile source. BuildKit's LLB definition (`buildConfig`) has
 * no equivalent here and is not written.
 *
 * @example
 * ```ts
 * import { purl } from "./provenance.ts";
 * console.log(purl("docker.io/library/alpine:3.20", { os: "linux", architecture: "arm64" }));
 * // pkg:docker/alpine@3.20?platform=linux%2Farm64
 * ```
 * @module
 */
import {
  Annotation,
  type Descriptor,
  encodeBase64,
  formatPlatform,
  type ImageManifest,
  MediaType,
  type Platform,
} from "../oci/mod.ts";
import { parseReference } from "../registry/mod.ts";
import type { ContentStore } from "../snapshotter/mod.ts";
import type { StoredImage } from "./manifest.ts";
import type { PlatformImage } from "./multi_platform.ts";

export const SLSA_PROVENANCE_V02 = "https://slsa.dev/provenance/v0.2";
const BUILDKIT_TYPE = "https://mobyproject.org/buildkit@v1";

/** What `--provenance` asked for. */
export interface ProvenanceMode {
  mode: "min" | "max";
  /** `builder-id=`: the predicate's builder.id (a CI run's URL, say). */
  builderId?: string;
}

/** The facts of one platform's build that go into its statement. */
export interface ProvenanceFacts {
  /** The Dockerfile's name as the build was given it (`-f`), and its text. */
  dockerfile: { path: string; source: string };
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  secrets: string[];
  ssh: string[];
  platform: Platform;
  /** Base images the build pulled, as resolved: reference and manifest digest. */
  materials: { ref: string; digest: string; platform: Platform }[];
  /** RFC 3339; left out for reproducible builds (SOURCE_DATE_EPOCH). */
  startedOn?: string;
  finishedOn?: string;
  invocationId?: string;
}

/** A package URL for an image reference (BuildKit's RefToPURL): `pkg:docker/<name>@<tag>?digest=…&platform=…`. */
export function purl(ref: string, platform?: Platform): string {
  const r = parseReference(ref);
  const repo = r.registry === "docker.io" ? r.repository.replace(/^library\//, "") : `${r.registry}/${r.repository}`;
  const name = repo.split("/").map((p) => encodeURIComponent(p).replaceAll("%3A", ":")).join("/");
  // A tag is the version and a digest beside it a qualifier; a digest alone is the version.
  const version = r.tag ?? r.digest ?? "latest";
  const qualifiers = [
    ...(r.digest && r.tag ? [`digest=${encodeURIComponent(r.digest)}`] : []),
    ...(platform ? [`platform=${encodeURIComponent(formatPlatform(platform))}`] : []),
  ];
  const q = qualifiers.length ? `?${qualifiers.join("&")}` : "";
  return `pkg:docker/${name}@${version}${q}`;
}

/** An in-toto subject: what a statement is about, by name and sha256. */
export interface Subject {
  name: string;
  digest: { sha256: string };
}

const sha = (d: string) => ({ sha256: d.replace(/^sha256:/, "") });

/** An image's subjects: its manifest digest under each tag as a package URL for its platform (`_` untagged). */
export function imageSubjects(manifest: Descriptor, tags: string[], platform: Platform): Subject[] {
  return (tags.length ? tags : ["_"]).map((n) => ({
    name: n === "_" ? n : purl(n, platform),
    digest: sha(manifest.digest),
  }));
}

/** The in-toto statement (SLSA provenance v0.2) about `subjects`. */
export function provenanceStatement(
  subjects: Subject[],
  facts: ProvenanceFacts,
  mode: ProvenanceMode,
): Record<string, unknown> {
  const max = mode.mode === "max";
  const args: Record<string, string> = {};
  if (max) {
    for (const [k, v] of Object.entries(facts.buildArgs)) args[`build-arg:${k}`] = v;
    for (const [k, v] of Object.entries(facts.labels)) args[`label:${k}`] = v;
  }
  if (facts.dockerfile.path !== "Dockerfile") args.filename = facts.dockerfile.path;
  if (facts.target) args.target = facts.target;
  const metadata: Record<string, unknown> = {
    ...(facts.invocationId ? { buildInvocationID: facts.invocationId } : {}),
    ...(facts.startedOn ? { buildStartedOn: facts.startedOn } : {}),
    ...(facts.finishedOn ? { buildFinishedOn: facts.finishedOn } : {}),
    completeness: { parameters: max, environment: true, materials: false },
    reproducible: false,
    [`${BUILDKIT_TYPE}#metadata`]: max
      ? {
        source: {
          infos: [{
            filename: facts.dockerfile.path,
            language: "Dockerfile",
            data: encodeBase64(facts.dockerfile.source),
          }],
        },
      }
      : {},
  };
  return {
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType: SLSA_PROVENANCE_V02,
    subject: subjects,
    predicate: {
      builder: { id: mode.builderId ?? "" },
      buildType: BUILDKIT_TYPE,
      // The reference as the Dockerfile named it; the digest it resolved to is the material's digest.
      materials: facts.materials.map((m) => ({
        uri: purl(m.ref.replace(/(:[^/@]+)@sha256:[0-9a-f]{64}$/, "$1"), m.platform),
        digest: sha(m.digest),
      })),
      invocation: {
        configSource: { entryPoint: facts.dockerfile.path },
        parameters: {
          frontend: "dockerfile.v0",
          ...(Object.keys(args).length ? { args } : {}),
          ...(max && facts.secrets.length ? { secrets: facts.secrets.map((id) => ({ id, optional: true })) } : {}),
          ...(max && facts.ssh.length ? { ssh: facts.ssh.map((id) => ({ id, optional: true })) } : {}),
          locals: [{ name: "context" }, { name: "dockerfile" }],
        },
        environment: { platform: formatPlatform(facts.platform) },
      },
      metadata,
    },
  };
}

/**
 * Stores `statement` as the attestation manifest of `image` and returns its entry for the index (platform
 * `unknown/unknown`, pointing at the image it attests).
 */
export async function storeAttestation(
  content: ContentStore,
  image: StoredImage,
  statement: Record<string, unknown>,
): Promise<PlatformImage> {
  const enc = new TextEncoder();
  const layerBlob = await content.writeBytes(enc.encode(JSON.stringify(statement)));
  const config = {
    architecture: "unknown",
    os: "unknown",
    config: {},
    rootfs: { type: "layers" as const, diff_ids: [layerBlob.digest] },
  };
  const configBytes = enc.encode(JSON.stringify(config));
  const cfg = await content.writeBytes(configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
    layers: [{
      mediaType: MediaType.InToto,
      digest: layerBlob.digest,
      size: layerBlob.size,
      annotations: { [Annotation.InTotoPredicateType]: String(statement.predicateType) },
    }],
  };
  const manifestBytes = enc.encode(JSON.stringify(manifest));
  const m = await content.writeBytes(manifestBytes);
  return {
    platform: { architecture: "unknown", os: "unknown" },
    image: {
      manifest,
      manifestBytes,
      manifestDesc: { mediaType: MediaType.OciManifest, digest: m.digest, size: m.size },
      config,
      configBytes,
      layers: [{
        mediaType: MediaType.InToto,
        digest: layerBlob.digest,
        size: layerBlob.size,
        diffID: layerBlob.digest,
      }],
    },
    annotations: {
      [Annotation.DockerReferenceDigest]: image.manifestDesc.digest,
      [Annotation.DockerReferenceType]: "attestation-manifest",
    },
  };
}
