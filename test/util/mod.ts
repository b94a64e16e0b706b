/**
 * Test infrastructure shared by every folder's tests: real components only (a real registry, a base image made
 * without tsbuild, the real test user, and image readers built on skopeo/umoci/runc).
 *
 * @example
 * ```ts
 * import { pushBusyboxImage, skopeoInspectConfig, startRegistry } from "./mod.ts";
 * const reg = await startRegistry();
 * try {
 *   const ref = await pushBusyboxImage(reg.host);
 *   console.log((await skopeoInspectConfig(ref)).config.Cmd); // ["sh"]
 * } finally {
 *   await reg.stop();
 * }
 * ```
 * @module
 */
export * from "./assert.ts";
export { busyboxLayout, FixtureError, type OciLayout, pushBusyboxImage } from "./base_image.ts";
export { runImage, skopeoInspect, skopeoInspectConfig, skopeoInspectRaw, unpackWithUmoci } from "./oci_check.ts";
export { htpasswdEntry, type RegistryOptions, RegistryStartError, startRegistry, type TestRegistry } from "./registry.ts";
export { makeTestCertificates, type TestCertificates } from "./tls.ts";
export { type RunOptions, type RunResult, runTsbuild, type TestUser, testUser, workDir } from "./user.ts";
