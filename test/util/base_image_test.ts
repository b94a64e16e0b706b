import { assert, assertEquals } from "./assert.ts";
import { busyboxLayout, pushBusyboxImage } from "./base_image.ts";
import { startRegistry } from "./registry.ts";

Deno.test("pushBusyboxImage pushes a linux image whose rootfs has busybox, sh, passwd and a sticky /tmp", async () => {
  const reg = await startRegistry();
  const work = await Deno.makeTempDir();
  try {
    const ref = await pushBusyboxImage(reg.host, "lib/busybox", "t1");
    assertEquals(ref, `${reg.host}/lib/busybox:t1`);
    const inspect = await new Deno.Command("skopeo", {
      args: ["inspect", "--tls-verify=false", "--config", `docker://${ref}`],
      stdout: "piped",
    }).output();
    assert(inspect.success, "skopeo inspect failed");
    const config = JSON.parse(new TextDecoder().decode(inspect.stdout));
    assertEquals(config.os, "linux");
    assertEquals(config.config.Cmd, ["sh"]);
    assertEquals(config.rootfs.diff_ids.length, 1);

    // Read it back through a path that shares nothing with how it was made: registry → oci layout → umoci unpack.
    const copy = await new Deno.Command("skopeo", {
      args: ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${work}/l:x`],
    }).output();
    assert(copy.success, "skopeo copy back failed");
    const unpack = await new Deno.Command("umoci", {
      args: ["unpack", "--image", `${work}/l:x`, `${work}/b`],
      stdout: "null",
    }).output();
    assert(unpack.success, "umoci unpack failed");
    const rootfs = `${work}/b/rootfs`;
    assertEquals(await Deno.readLink(`${rootfs}/bin/sh`), "/bin/busybox");
    assert((await Deno.stat(`${rootfs}/bin/busybox`)).mode! & 0o111, "busybox not executable");
    assertEquals((await Deno.stat(`${rootfs}/tmp`)).mode! & 0o7777, 0o1777);
    assert((await Deno.readTextFile(`${rootfs}/etc/passwd`)).includes("nobody:x:65534:"));
    const echo = await new Deno.Command("chroot", { args: [rootfs, "/bin/sh", "-c", "echo hi"], stdout: "piped" })
      .output();
    assertEquals(new TextDecoder().decode(echo.stdout), "hi\n");
  } finally {
    await reg.stop();
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("busyboxLayout is cached: a second call returns the same layout without rebuilding it", async () => {
  const a = await busyboxLayout();
  const before = await Deno.readTextFile(`${a.dir}/index.json`);
  const b = await busyboxLayout();
  assertEquals(b, a);
  assertEquals(await Deno.readTextFile(`${b.dir}/index.json`), before);
});
