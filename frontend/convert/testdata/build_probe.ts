/**
 * Runs one real build (solver, runc, overlay) of a context, for build_test.ts, which starts it inside a private mount
 * namespace as build() requires. Usage: build_probe.ts '<json: {context, fsOut, ociOut, buildArgs, labels, insecure}>'.
 */
import { build } from "../../../build/mod.ts";
import { createProgress } from "../../../progress/mod.ts";

const req = JSON.parse(Deno.args[0]);
const log: string[] = [];
const result = await build({
  contextDir: req.context,
  dockerfilePath: `${req.context}/Dockerfile`,
  tags: [],
  outputs: [{ type: "local", dest: req.fsOut }, { type: "oci", dest: req.ociOut, tar: false }],
  buildArgs: req.buildArgs,
  labels: req.labels,
  noCache: false,
  noCacheFilter: [],
  storeRoot: req.store,
  progress: createProgress("plain", (s) => log.push(s), false),
  secrets: new Map(),
  format: "oci",
  explain: false,
  maxParallelism: 2,
  insecureRegistries: req.insecure,
  signal: new AbortController().signal,
});
console.log(JSON.stringify({ result, log: log.join("") }));
