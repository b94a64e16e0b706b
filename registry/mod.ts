/**
 * Registry client for the OCI distribution API: reference parsing with docker's normalization, pull with platform
 * selection and digest verification, push with mounts and streamed uploads, Basic/Bearer auth from docker's
 * config.json and credential helpers, mirrors, retries.
 *
 * @example
 * ```ts
 * import { parseReference, RegistryClient } from "./mod.ts";
 * const ref = parseReference("busybox");
 * console.log(ref.toString(), ref.familiar()); // docker.io/library/busybox:latest busybox:latest
 * const client = new RegistryClient({ insecureRegistries: ["registry.lan:5000"] });
 * void client; // client.resolveImage(ref, { os: "linux", architecture: "amd64" }) pulls the image's manifest+config
 * ```
 * @module
 */
export { DOCKER_HUB, makeReference, parseReference, type Reference } from "./reference.ts";
export { InvalidReferenceError, RegistryError } from "./errors.ts";
export { RegistryClient, type RegistryOptions } from "./client.ts";
export type { StreamingBlobUpload } from "./streaming_upload.ts";
export {
  type Credentials,
  dockerConfigDir,
  getCredentials,
  login,
  logout,
  normalizeRegistryHost,
} from "./docker_config.ts";
export { type Challenge, parseChallenge } from "./auth.ts";
