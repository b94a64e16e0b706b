import { parseArgs } from "node:util";
import { pruneStore } from "../build/mod.ts";
import { defaultStoreRoot } from "./build_flags.ts";
import { UsageError } from "./errors.ts";

/** `tsbuild prune [--all] [--root DIR]`, like `docker builder prune`. */
export async function pruneCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { all: { type: "boolean", short: "a" }, root: { type: "string" } } });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const r = await pruneStore(parsed.values.root ?? defaultStoreRoot(), { all: !!parsed.values.all });
  console.log(`Deleted ${r.blobsRemoved} blobs${r.imagesRemoved ? ` and ${r.imagesRemoved} image names` : ""}`);
  console.log(`Total reclaimed space: ${(r.reclaimedBytes / 1e6).toFixed(1)}MB`);
  return 0;
}
