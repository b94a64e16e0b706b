/** A real build and push on Node 20 through node/tsbuild-node, read back with runc (test/util/oci_check.ts). */
import { assertEquals } from "../test/util/assert.ts";
import { pushBusyboxImage } from "../test/util/base_image.ts";
import { runImage } from "../test/util/oci_check.ts";
import { startRegistry } from "../test/util/registry.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("tsbuild-node builds a RUN step and pushes an image that runs", async () => {
  const reg = await startRegistry();
  const ctx = await Deno.makeTempDir({ prefix: "tsbuild-node-ctx-" });
  const store = await Deno.makeTempDir({ prefix: "tsbuild-node-store-" });
  try {
    const base = await pushBusyboxImage(reg.host);
    await Deno.writeTextFile(`${ctx}/msg.txt`, "from the context\n");
    await Deno.writeTextFile(
      `${ctx}/Dockerfile`,
      `FROM ${base}\nCOPY msg.txt /\nRUN cat /msg.txt > /out && echo "ran on $(uname -s)" >> /out\nCMD ["cat", "/out"]\n`,
    );
    const ref = `${reg.host}/node/app:1`;
    const o = await new Deno.Command(`${ROOT}node/tsbuild-node`, {
      args: ["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(o.code, 0, dec.decode(o.stderr) + dec.decode(o.stdout));
    assertEquals(await runImage(ref), "from the context\nran on Linux\n");
  } finally {
    await reg.stop();
    await new Deno.Command("rm", { args: ["-rf", ctx, store] }).output();
  }
});
