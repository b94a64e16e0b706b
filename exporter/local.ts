import type { LayerStore } from "../snapshotter/mod.ts";
import type { ExportLayer } from "./image_config.ts";
import { TsbuildError } from "../errors.ts";

/**
 * `--output type=local` (the final filesystem as a directory) and `type=tar` (the same as one tar): files come out
 * owned by the user who ran the build, as BuildKit's local exporter writes them.
 */
export async function writeLocalOutput(layers: LayerStore, chain: ExportLayer[], dest: string, asTar: boolean): Promise<void> {
  const name = await layers.unpack(chain);
  const view = await layers.viewMounted(name);
  try {
    const args = asTar
      ? ["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", view.rootfs, "-cf", dest, "."]
      : ["cp", "-r", "--preserve=mode,timestamps,links", "--no-preserve=ownership", "-T", view.rootfs, dest];
    if (!asTar) await Deno.mkdir(dest, { recursive: true });
    const out = await new Deno.Command(args[0], { args: args.slice(1), stdout: "null", stderr: "piped" }).output();
    if (!out.success) throw new TsbuildError(`writing ${dest} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  } finally {
    await view.release();
  }
}
