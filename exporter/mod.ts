/**
 * Exporters: a solved stage → image config (with history) + manifest in the store → outputs (registry push, OCI
 * layout dir/tar, docker archive, local dir/tar).
 *
 * @example
 * ```ts
 * import { layerMediaType } from "./mod.ts";
 * console.log(layerMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip", "oci"));
 * ```
 * @module
 */
export { type ExportLayer, imageConfig, type StepOutcome } from "./image_config.ts";
export { imageRecord, layerMediaType, type ManifestFormat, type StoredImage, storeImage } from "./manifest.ts";
export { type BlobOrigins, compressForPush, pushImage } from "./push.ts";
export { compressStoredImage } from "./compressed_image.ts";
export {
  AnnotationError,
  annotationsFor,
  type AnnotationTarget,
  checkSinglePlatformAnnotations,
  type ImageAnnotation,
  parseAnnotation,
} from "./annotations.ts";
export { writeLocalOutput } from "./local.ts";
export { type BlobSource, OciLayoutError, readOciLayout, writeOciLayout } from "./oci_layout.ts";
export { writeDockerArchive } from "./docker_archive.ts";
export { type LayoutImage, openLayoutImage, parseLayoutName } from "./layout_image.ts";
export {
  indexRecord,
  platformDir,
  type PlatformImage,
  pushIndex,
  type StoredIndex,
  storeIndex,
  writeMultiLocal,
} from "./multi_platform.ts";
export {
  imageSubjects,
  type ProvenanceFacts,
  type ProvenanceMode,
  provenanceStatement,
  purl,
  SLSA_PROVENANCE_V02,
  storeAttestation,
  type Subject,
} from "./provenance.ts";
