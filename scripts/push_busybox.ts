/**
 * Pushes the test busybox base image (built with umoci/skopeo, no tsbuild code) to a registry and prints its
 * reference. Usage: deno run -A scripts/push_busybox.ts HOST:PORT [repo] [tag]
 */
import { pushBusyboxImage } from "../test/util/base_image.ts";

const [host, repo = "busybox", tag = "latest"] = Deno.args;
if (!host) {
  console.error("usage: push_busybox.ts HOST:PORT [repo] [tag]");
  Deno.exit(2);
}
console.log(await pushBusyboxImage(host, repo, tag));
