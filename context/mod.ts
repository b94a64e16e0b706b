/**
 * The build context: `.dockerignore` reading and matching (moby/patternmatcher semantics), what a COPY source
 * selects, root-scoped path resolution, and the cached content hash the solver keys COPY steps with.
 *
 * @example
 * ```ts
 * import { ContextFilter, ContextHasher, readDockerignore } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/.dockerignore`, "*.log\n");
 * await Deno.writeTextFile(`${dir}/app.txt`, "hi");
 * const excludes = await readDockerignore(dir);
 * console.log(new ContextFilter(excludes).excluded("debug.log")); // true
 * const hasher = await ContextHasher.open(await Deno.makeTempDir(), dir, excludes);
 * console.log(await hasher.hashSources(["."]));
 * await hasher.save();
 * ```
 * @module
 */
export { parseDockerignore, readDockerignore } from "./dockerignore.ts";
export { ContextFilter } from "./filter.ts";
export { PatternMatcher } from "./pattern.ts";
export { cleanPath, globToRegExp, hasGlob } from "./glob.ts";
export { ContextHasher, type SelectedEntry, type SourceSelection } from "./hasher.ts";
export { relToRoot, resolveInRoot, SymlinkLoopError } from "./root_path.ts";
export { clampSource, selectSource, visible } from "./select.ts";
