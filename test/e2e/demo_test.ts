/** scripts/demo.sh, the README's first command, end to end: both builds (root, rootless) push an image that runs. */
import { assertEquals, assertMatch } from "../util/assert.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

Deno.test("scripts/demo.sh builds examples/hello as root and as the unprivileged user, and both images run", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const o = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/demo.sh`],
    env: { PORT: String(port) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  assertEquals(o.code, 0, out);
  const greetings = out.match(/^Hello from tsbuild, running as app on \S+$/gm) ?? [];
  assertEquals(greetings.length, 2, out);
  assertMatch(out, /pushed 127\.0\.0\.1:\d+\/demo\/app:rootless@sha256:[0-9a-f]{64}/);
});
