/**
 * File operations of COPY, ADD, WORKDIR and heredoc files: graph `FileAction`s applied to a mounted destination
 * rootfs with BuildKit's file-op semantics; every write is resolved inside the destination root.
 *
 * @example
 * ```ts
 * import { applyFileActions } from "./mod.ts";
 * const ctx = await Deno.makeTempDir(), dest = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${ctx}/hello.txt`, "hi\n");
 * await applyFileActions(dest, [{
 *   action: "copy", from: 0, src: ["hello.txt"], dest: "/app/", copyDirContents: true, destIsDir: true,
 *   extractArchives: false, allowWildcard: true, allowEmptyWildcard: false, followSymlinks: true, excludes: [],
 *   parents: false, createDestPath: true,
 * }], { resolve: () => ({ root: ctx, excludes: [] }) }, { resolveUser: () => Promise.resolve({ uid: 0, gid: 0 }) });
 * console.log(await Deno.readTextFile(`${dest}/app/hello.txt`));
 * ```
 * @module
 */
export { applyFileActions, type FileOpOptions, type FileOpSources } from "./apply.ts";
export { FileOpError } from "./errors.ts";
export { HttpSources } from "./http_sources.ts";
export {
  checkoutGit,
  GitFetchError,
  GitSources,
  type GitSpec,
  GitUrlError,
  isGitRemote,
  isGitUrl,
  parseGitUrl,
  resolveGitRef,
} from "./git_sources.ts";
export { type ModeFn, parseChmod } from "./chmod.ts";
export { type ArchiveKind, extractArchive, sniffArchive } from "./archive.ts";
export { type CopyRecord, newCopyRecord } from "./copy_record.ts";
