#!/usr/bin/env node
// Bundles tsbuild's Deno-first TypeScript for Node >= 20: one ESM file with npm packages left as imports
// (resolved from node_modules at run time) and the `Deno` global supplied by node/deno_shim.mjs.
// Usage: node node/build.mjs [entry.ts] [out.mjs]   (default: cli/main.ts → dist/tsbuild.mjs)
import { build } from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry = resolve(process.argv[2] ?? join(root, "cli/main.ts"));
const outfile = resolve(process.argv[3] ?? join(root, "dist/tsbuild.mjs"));

await build({
  entryPoints: [entry],
  outfile,
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
