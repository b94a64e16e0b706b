/**
 * OCI image-spec documents (v1.1), typed from the spec's JSON schemas. Docker schema 2 documents share these shapes
 * and differ only by media type.
 */

/** `sha256:<hex>`. */
export type Digest = string;

/** A content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** A platform (image-spec image-index.md). */
export interface Platform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
}

/** An image manifest (image-spec manifest.md). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index or Docker manifest list (image-spec image-index.md). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** HEALTHCHECK settings as Docker stores them (durations in nanoseconds). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The execution parameters of an image config (image-spec config.md `config`), plus Docker's extensions. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  /** Docker extensions that BuildKit writes too. */
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

/** One history entry (image-spec config.md `history`). */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image configuration (image-spec config.md). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: Digest[] };
  history?: History[];
}

/** `index.json` and `oci-layout` of an OCI image layout (image-spec image-layout.md). */
export interface OciLayoutFile {
  imageLayoutVersion: "1.0.0";
}

/** Annotation keys tsbuild reads and writes. */
export const Annotation = {
  RefName: "org.opencontainers.image.ref.name",
  Created: "org.opencontainers.image.created",
  BaseName: "org.opencontainers.image.base.name",
  BaseDigest: "org.opencontainers.image.base.digest",
  /** On an attestation manifest's index entry: the image manifest it attests (BuildKit's attestation layout). */
  DockerReferenceDigest: "vnd.docker.reference.digest",
  /** On an attestation manifest's index entry: `attestation-manifest`. */
  DockerReferenceType: "vnd.docker.reference.type",
  /** On an attestation layer: the statement's predicate type. */
  InTotoPredicateType: "in-toto.io/predicate-type",
} as const;
