/**
 * Runs an image with runc (via umoci unpack, no tsbuild code) and prints its output, as `docker run REF [ARGS]`.
 * Usage (as root): deno run -A scripts/run_image.ts REF [ARGS...]
 */
import { runImage } from "../test/util/oci_check.ts";

const [ref, ...args] = Deno.args;
if (!ref) {
  console.error("usage: run_image.ts REF [ARGS...]");
  Deno.exit(2);
}
Deno.stdout.writeSync(new TextEncoder().encode(await runImage(ref, args.length ? args : undefined)));
