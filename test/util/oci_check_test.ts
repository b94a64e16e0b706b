import { assert, assertEquals, assertRejects } from "./assert.ts";
import { pushBusyboxImage } from "./base_image.ts";
import { runImage, skopeoInspect, skopeoInspectConfig, skopeoInspectRaw, unpackWithUmoci } from "./oci_check.ts";
import { startRegistry } from "./registry.ts";

Deno.test("oci_check reads a pushed image through skopeo, umoci and runc", async (t) => {
  const reg = await startRegistry();
  try {
    const ref = await pushBusyboxImage(reg.host, "check/bb", "v1");

    await t.step("inspect: digest matches the raw manifest's layers", async () => {
      const info = await skopeoInspect(ref);
      assert(/^sha256:[0-9a-f]{64}$/.test(info.Digest), info.Digest);
      const raw = await skopeoInspectRaw(ref);
      assertEquals(info.Layers, raw.layers.map((l: { digest: string }) => l.digest));
      assertEquals((await skopeoInspectConfig(ref)).config.Cmd, ["sh"]);
    });

    await t.step("unpackWithUmoci gives a rootfs owned as the layer says", async () => {
      const rootfs = await unpackWithUmoci(ref);
      try {
        assert(rootfs.endsWith("/rootfs"));
        const st = await Deno.lstat(`${rootfs}/etc/passwd`);
        assertEquals([st.uid, st.gid], [0, 0]);
      } finally {
        await Deno.remove(`${rootfs}/..`, { recursive: true });
      }
    });

    await t.step("runImage runs the container with args replacing CMD, PATH from the config", async () => {
      assertEquals(
        await runImage(ref, ["sh", "-c", "id -u; echo $PATH; pwd"]),
        "0\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/\n",
      );
      await assertRejects(() => runImage(ref, ["sh", "-c", "exit 4"]), Error, "exited 4");
    });
  } finally {
    await reg.stop();
  }
});
