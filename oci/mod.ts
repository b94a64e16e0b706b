/**
 * OCI image, runtime and distribution types and media types: the vocabulary every other folder speaks.
 *
 * @example
 * ```ts
 * import { MediaType, type ImageManifest } from "./mod.ts";
 * const m: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OciManifest,
 *   config: { mediaType: MediaType.OciConfig, digest: "sha256:" + "0".repeat(64), size: 2 }, layers: [] };
 * console.log(m.config.mediaType);
 * ```
 * @module
 */
export * from "./media_types.ts";
export * from "./image.ts";
export * from "./platform.ts";
export * from "./runtime_spec.ts";
export { encodeBase64 } from "./base64.ts";
export { digestBytes } from "./digest.ts";
