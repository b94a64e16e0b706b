/**
 * What a COPY wrote where, kept so that the next build of the same COPY over the same parent can start from a
 * hardlinked clone of this result and rewrite only the files whose source changed (see solver/incremental_copy.ts).
 * @module
 */

/** Paths are a source's path from the context root → the entry's path in the destination rootfs. */
export interface CopyRecord {
  files: Map<string, string>;
  symlinks: Map<string, string>;
  /** Source directories whose owner, mode and mtime the copy set on their destination. */
  dirs: Map<string, string>;
  /** False when the copy did something a clone cannot replay (hardlinked sources, archives, a source copied twice). */
  replayable: boolean;
}

/** An empty record, to pass to a copy. */
export function newCopyRecord(): CopyRecord {
  return { files: new Map(), symlinks: new Map(), dirs: new Map(), replayable: true };
}

/** Notes `src` → `dest` in `map`; a source met twice (two destinations) makes the copy not replayable. */
export function noteCopied(rec: CopyRecord, map: Map<string, string>, src: string, dest: string): void {
  if (rec.files.has(src) || rec.symlinks.has(src) || rec.dirs.has(src)) rec.replayable = false;
  map.set(src, dest);
}
