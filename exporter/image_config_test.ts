import { assertEquals } from "../test/util/assert.ts";
import { convert, imageConfig as baseConfig } from "../frontend/convert/testing.ts";
import { imageConfig } from "./image_config.ts";

Deno.test("image config leaves out empty ENTRYPOINT/CMD/SHELL lists, as BuildKit's omitempty does", async () => {
  // dockerd 20.10 (and current BuildKit): `ENTRYPOINT []` + `CMD []` give a config with neither key.
  const images = { busybox: baseConfig({ Cmd: ["sh"], Entrypoint: ["/init"], Env: ["PATH=/bin"] }) };
  const { target } = await convert("FROM busybox\nENTRYPOINT []\nCMD []\n", { images });
  const c = imageConfig(target, [], new Map()).config ?? {};
  assertEquals(["Entrypoint" in c, "Cmd" in c, "Shell" in c], [false, false, false]);
  // A non-empty list is kept as it is.
  const set = await convert('FROM busybox\nENTRYPOINT ["/bin/echo"]\nCMD ["hi"]\n', { images });
  const s = imageConfig(set.target, [], new Map()).config ?? {};
  assertEquals([s.Entrypoint, s.Cmd], [["/bin/echo"], ["hi"]]);
});
