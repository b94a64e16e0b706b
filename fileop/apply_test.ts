import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { FileOpError } from "./errors.ts";
import { apply, copy, destRootfs, list } from "./testutil_test.ts";

Deno.test("mkdir (WORKDIR), mkfile (heredoc) and rm", async () => {
  const dest = await destRootfs();
  const ctx = await Deno.makeTempDir();
  await Deno.symlink("/real", `${dest}/work`);
  await apply(dest, ctx, [
    { action: "mkdir", path: "/work/a/b", mode: 0o755, makeParents: true, chown: { user: "app", group: "appgrp" } },
    { action: "mkdir", path: "/work/a/b", mode: 0o755, makeParents: true },
    { action: "mkfile", path: "/work/a/b/script.sh", mode: 0o744, data: "#!/bin/sh\necho hi\n" },
    { action: "mkfile", path: "/tmp/x1", mode: 0o644, data: "1" },
    { action: "mkfile", path: "/tmp/x2", mode: 0o644, data: "2" },
    { action: "mkfile", path: "/tmp/keep", mode: 0o644, data: "k" },
    { action: "rm", path: "/tmp/x*", allowNotFound: false, allowWildcard: true },
    { action: "rm", path: "/nothing", allowNotFound: true, allowWildcard: false },
  ]);
  // The WORKDIR symlink resolved inside the root: /work → /real in dest, never the host's /real.
  const b = Deno.statSync(`${dest}/real/a/b`);
  assertEquals([b.uid, b.gid, b.mode! & 0o777], [1234, 4321, 0o755]);
  assertEquals(Deno.statSync(`${dest}/real/a`).uid, 1234, "created parents take the owner");
  const s = Deno.statSync(`${dest}/real/a/b/script.sh`);
  assertEquals([s.mode! & 0o777, s.uid], [0o744, 0]);
  assertEquals(await Deno.readTextFile(`${dest}/real/a/b/script.sh`), "#!/bin/sh\necho hi\n");
  assertEquals(list(`${dest}/tmp`), ["keep"]);

  const e = await assertRejects(
    () => apply(dest, ctx, [{ action: "rm", path: "/gone", allowNotFound: false, allowWildcard: false }]),
    FileOpError,
  );
  assertStringIncludes(e.message, "/gone");
  const m = await assertRejects(
    () => apply(dest, ctx, [{ action: "mkdir", path: "/tmp/keep", mode: 0o755, makeParents: true }]),
    FileOpError,
  );
  assertStringIncludes(m.message, "not a directory");
  // BuildKit's file operations (dockerd 20.10 and current): a user name with no passwd entry is 0:0, a group name
  // with none keeps the user's gid; numbers are taken as they are, a number alone for both.
  await apply(dest, ctx, [
    copy(["."], "/unknown/", { chown: { user: "nobody-here" } }),
    copy(["."], "/unknown-group/", { chown: { user: "app", group: "no-such-group" } }),
    copy(["."], "/numeric/", { chown: { user: "1234" } }),
    copy(["."], "/named-numeric/", { chown: { user: "app", group: "99" } }),
  ]);
  const ids = (p: string) => [Deno.statSync(`${dest}/${p}`).uid, Deno.statSync(`${dest}/${p}`).gid];
  assertEquals([ids("unknown"), ids("unknown-group"), ids("numeric"), ids("named-numeric")], [
    [0, 0],
    [1234, 4321],
    [1234, 1234],
    [1234, 99],
  ]);
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY --from reads another vertex's root; actions apply in order", async () => {
  const stage = await Deno.makeTempDir();
  const ctx = await Deno.makeTempDir();
  await Deno.mkdir(`${stage}/usr/bin`, { recursive: true });
  await Deno.writeTextFile(`${stage}/usr/bin/tool`, "tool");
  await Deno.writeTextFile(`${ctx}/conf`, "conf");
  const dest = await destRootfs();
  const { applyFileActions } = await import("./apply.ts");
  await applyFileActions(dest, [
    copy(["/usr/bin/tool"], "/bin/", { from: 1 }),
    copy(["conf"], "/etc/app.conf", { from: 0 }),
    copy(["conf"], "/etc", { from: 0 }), // an existing dir is copied into even without a trailing slash
  ], {
    resolve: (from) => from === 1 ? { root: stage, excludes: [] } : { root: ctx, excludes: ["conf-*"] },
  }, { resolveUser: () => Promise.resolve({ uid: 0, gid: 0 }) });
  assertEquals(await Deno.readTextFile(`${dest}/bin/tool`), "tool");
  assertEquals(await Deno.readTextFile(`${dest}/etc/app.conf`), "conf");
  assert(Deno.statSync(`${dest}/etc/conf`).isFile);
  for (const d of [stage, ctx, dest]) await Deno.remove(d, { recursive: true });
});
