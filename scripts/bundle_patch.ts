/**
 * Post-processes a `deno bundle` output dir (scripts/bundle.sh): the bundler gives the chunk every other chunk
 * imports a static `import { createRequire } from "node:module"` for the `require` calls of bundled CommonJS
 * packages (tar-stream's), and loading `node:module` costs ~15 ms of every start-up, `tsbuild version` included.
 * When every such call names a Node built-in, `process.getBuiltinModule` answers it instead, on first use.
 * Anything else leaves the bundle as it was (correct, only slower), with a note on stderr. tar-stream also loads
 * `node:fs` (~10 ms) at import only to read the S_IF* file-type constants it carries itself as a fallback (the same
 * values on Linux): it is given the fallback.
 *
 *     deno run -A scripts/bundle_patch.ts <bundle dir>
 * @module
 */
import { join } from "node:path";

const dir = Deno.args[0];
const CREATE_REQUIRE =
  /import \{ createRequire as (\w+) \} from "node:module";\nvar __require = \1\(import\.meta\.url\);\n/;
const chunks = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".js")).map((e) =>
  join(dir, e.name)
);
const TAR_STREAM_CONSTANTS = /module\.exports = __require\("node:fs"\)\.constants \|\| constants;/;
const texts = new Map(
  chunks.map((p) => [p, Deno.readTextFileSync(p).replace(TAR_STREAM_CONSTANTS, "module.exports = constants;")]),
);
for (const [p, t] of texts) Deno.writeTextFileSync(p, t);
const required = [...texts.values()].flatMap((t) => [...t.matchAll(/__require\(([^)]*)\)/g)].map((m) => m[1]));
const notBuiltin = required.filter((a) => !/^"node:[a-z_/]+"$/.test(a));
const owners = [...texts].filter(([, t]) => CREATE_REQUIRE.test(t));
if (owners.length === 0) {
  // Nothing bundled needs require.
} else if (notBuiltin.length > 0 || owners.length !== 1) {
  console.error(
    `bundle_patch: left as bundled (require of ${
      notBuiltin.join(", ") || "nothing"
    }; ${owners.length} createRequire chunks)`,
  );
} else {
  const [path, text] = owners[0];
  Deno.writeTextFileSync(
    path,
    text.replace(CREATE_REQUIRE, "var __require = (id) => globalThis.process.getBuiltinModule(id);\n"),
  );
}
