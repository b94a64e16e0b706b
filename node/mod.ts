/**
 * Node support: tsbuild's Deno-first sources bundled for Node >= 20.16 (for process.getBuiltinModule) by
 * `node/build.mjs` (esbuild) with the `Deno` global from `node/deno_shim.mjs` (@deno/shim-deno plus Deno.Command,
 * temp files honouring `dir`, execPath and Array.fromAsync). Nothing here is imported by the builder; this module
 * only names the entry points.
 *
 * @example
 * ```sh
 * node node/build.mjs                 # cli/main.ts → dist/tsbuild.mjs
 * node/tsbuild-node --version         # builds on first use, then runs on node
 * node node/build.mjs node/smoke.ts dist/smoke.mjs && node dist/smoke.mjs
 * ```
 * @module
 */

/** Path of the Node bundle of the CLI, relative to the project root. */
export const NODE_BUNDLE = "dist/tsbuild.mjs";
/** Path of the launcher that (re)builds the bundle when sources changed and runs it with node. */
export const NODE_LAUNCHER = "node/tsbuild-node";
