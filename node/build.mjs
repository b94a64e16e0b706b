#!/usr/bin/env node
// Bundles tsbuild's Deno-first TypeScript for Node >= 20: an ESM entry (plus chunks under chunks/) with npm packages left as imports
// (resolved from node_modules at run time) and the `Deno` global supplied by node/deno_shim.mjs.
// Usage: node node/build.mjs [entry.ts] [out.mjs]   (default: cli/main.ts → dist/tsbuild.mjs)
import { build } from "esbuild";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry = resolve(process.argv[2] ?? join(root, "cli/main.ts"));
const outfile = resolve(process.argv[3] ?? join(root, "dist/tsbuild.mjs"));

await build({
  // Split, not one file: the CLI imports its commands when they run, and only real ES module chunks keep those
  // lazy imports' evaluation order (a single file wraps them in init functions that break on import cycles).
  entryPoints: { [basename(outfile).replace(/\.mjs$/, "")]: entry },
  outdir: dirname(outfile),
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // npm packages stay imports so their own files (wasm, native fallbacks) load as usual from node_modules.
  packages: "external",
  // Every free `Deno` in the sources becomes the shim's export; the shim also sets globalThis.Deno.
  inject: [join(root, "node/deno_shim.mjs")],
  // The bundle is the program: `if (import.meta.main)` blocks of the entry must run.
  define: { "import.meta.main": "true" },
  banner: { js: "#!/usr/bin/env node" },
  sourcemap: "linked",
  logLevel: "warning",
});
console.error(`node/build.mjs: ${entry} → ${outfile}`);
