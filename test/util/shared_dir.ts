/**
 * Where the shared test corpora live: `../shared` beside the repository, as the project is laid out (and CI clones
 * it), or `$TSBUILD_SHARED_DIR` for a checkout elsewhere. Under CI (`CI=true`) a missing corpus is a failure, never
 * a skipped test.
 *
 * @module
 */

/** `shared/conformance` as a directory URL (ends in `/`). */
export const CONFORMANCE: URL = (() => {
  const dir = Deno.env.get("TSBUILD_SHARED_DIR");
  return dir
    ? new URL(`file://${dir.replace(/\/$/, "")}/conformance/`)
    : new URL("../../../shared/conformance/", import.meta.url);
})();

/** Whether tests needing the corpus may skip when it is absent (everywhere but CI). */
export const mayLackCorpus: boolean = Deno.env.get("CI") !== "true";
