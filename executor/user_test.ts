import { assertEquals, assertRejects } from "../test/util/assert.ts";
import { resolveUser } from "./user.ts";
import { UserNotFoundError } from "./errors.ts";

async function rootfsWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-user-" });
  await Deno.mkdir(`${dir}/etc`);
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/etc/${name}`, text);
  return dir;
}

const passwd =
  "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n";
const group = "root:x:0:\napp:x:1000:\nwheel:x:10:app,other\naudio:x:29:app\nstaff:x:50:\n";

Deno.test("names resolve through passwd with supplementary groups from group", async () => {
  const root = await rootfsWith({ passwd, group });
  assertEquals(await resolveUser(root, "app"), {
    uid: 1000,
    gid: 1000,
    additionalGids: [10, 29],
    home: "/home/app",
  });
  assertEquals(await resolveUser(root, "root"), { uid: 0, gid: 0, additionalGids: [], home: "/root" });
  assertEquals(await resolveUser(root, ""), { uid: 0, gid: 0, additionalGids: [], home: "/root" });
});

Deno.test("a numeric uid with an entry takes the entry's group and home", async () => {
  const root = await rootfsWith({ passwd, group });
  assertEquals(await resolveUser(root, "1000"), {
    uid: 1000,
    gid: 1000,
    additionalGids: [10, 29],
    home: "/home/app",
  });
});

Deno.test("explicit groups replace the primary group and drop supplementary ones", async () => {
  const root = await rootfsWith({ passwd, group });
  assertEquals(await resolveUser(root, "app:staff"), { uid: 1000, gid: 50, additionalGids: [], home: "/home/app" });
  assertEquals(await resolveUser(root, "app:77"), { uid: 1000, gid: 77, additionalGids: [], home: "/home/app" });
  assertEquals(await resolveUser(root, "1234:5678"), { uid: 1234, gid: 5678, additionalGids: [], home: "/" });
});

Deno.test("numeric ids need no passwd or group file", async () => {
  const root = await Deno.makeTempDir();
  assertEquals(await resolveUser(root, "1234:5678"), { uid: 1234, gid: 5678, additionalGids: [], home: "/" });
  assertEquals(await resolveUser(root, "42"), { uid: 42, gid: 0, additionalGids: [], home: "/" });
});

Deno.test("unknown names fail naming the user or group", async () => {
  const root = await rootfsWith({ passwd, group });
  const e = await assertRejects(() => resolveUser(root, "ghost"), UserNotFoundError, "ghost");
  assertEquals([e.what, e.missing], ["user", "ghost"]);
  const g = await assertRejects(() => resolveUser(root, "app:nogroup"), UserNotFoundError, "nogroup");
  assertEquals([g.what, g.missing], ["group", "nogroup"]);
  const empty = await Deno.makeTempDir();
  await assertRejects(() => resolveUser(empty, "app"), UserNotFoundError);
});

Deno.test("symlinked /etc/passwd cannot escape the rootfs", async () => {
  const root = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  await Deno.writeTextFile(`${outside}/passwd`, "evil:x:7:7::/evil:/bin/sh\n");
  await Deno.mkdir(`${root}/etc`);
  await Deno.mkdir(`${root}/data`);
  await Deno.writeTextFile(`${root}/data/passwd`, "inner:x:9:9::/in:/bin/sh\n");
  // An absolute target is resolved against the rootfs, so this reaches <root>/data/passwd, not a host file.
  await Deno.symlink("/data/passwd", `${root}/etc/passwd`);
  assertEquals((await resolveUser(root, "inner")).uid, 9);
  await Deno.remove(`${root}/etc/passwd`);
  await Deno.symlink(`../../../../../../..${outside}/passwd`, `${root}/etc/passwd`);
  await assertRejects(() => resolveUser(root, "evil"), UserNotFoundError);
});
