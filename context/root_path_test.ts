import { assertEquals } from "../test/util/assert.ts";
import { relToRoot, resolveInRoot } from "./root_path.ts";

Deno.test("resolveInRoot keeps symlinks and .. inside the root", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/real/dir`, { recursive: true });
  await Deno.symlink("/etc", `${root}/abs`);
  await Deno.symlink("../../../..", `${root}/real/up`);
  await Deno.symlink("dir", `${root}/real/rel`);
  await Deno.symlink("loop2", `${root}/loop1`);
  await Deno.symlink("loop1", `${root}/loop2`);
  assertEquals(resolveInRoot(root, "/abs/passwd"), `${root}/etc/passwd`);
  assertEquals(resolveInRoot(root, "../../abs"), `${root}/etc`);
  assertEquals(resolveInRoot(root, "/real/up/x"), `${root}/x`);
  assertEquals(resolveInRoot(root, "/real/rel/f"), `${root}/real/dir/f`);
  assertEquals(resolveInRoot(root, "/real/rel", false), `${root}/real/rel`, "last component kept unless followed");
  assertEquals(resolveInRoot(root, "/missing/a/b"), `${root}/missing/a/b`);
  assertEquals(resolveInRoot(root, "/"), root);
  assertEquals(relToRoot(root, `${root}/real/dir`), "real/dir");
  let looped = false;
  try {
    resolveInRoot(root, "/loop1/x");
  } catch {
    looped = true;
  }
  assertEquals(looped, true, "symlink loops are reported, not followed forever");
  await Deno.remove(root, { recursive: true });
});
