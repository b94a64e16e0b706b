/**
 * Incremental COPY (solver/incremental_copy.ts), end to end as root and as the unprivileged user: after a source
 * file changes, the COPY starts from a hardlinked clone of its last result, and the image must be exactly the one a
 * fresh store (a full copy) makes: same image ID with a fixed SOURCE_DATE_EPOCH, so same trees, owners, modes and
 * mtimes (as the RUN after them sees them too, but for the dirs a COPY makes at the time of the copy), its unchanged
 * files' bodies read from the last layer's tar. Also: a COPY whose source is a symlink is keyed on the target's
 * content.
 */
import { assert, assertEquals } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const OLD = new Date("2020-01-02T03:04:05Z");
const EPOCH = String(Date.parse("2023-01-01T00:00:00Z") / 1000);

/** Every entry of the context gets an old mtime, as a checkout's files have (nothing is clamped by the epoch). */
async function age(dir: string, t = OLD): Promise<void> {
  await new Deno.Command("find", { args: [dir, "-exec", "touch", "-h", "-d", t.toISOString(), "{}", "+"] }).output();
}

/** Files under `dir` with more than one link: the clone's, shared with the snapshot it started from. */
async function sharedInodes(dir: string): Promise<number> {
  const out = await new Deno.Command("find", { args: [dir, "-type", "f", "-links", "+1"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.includes("/snapshots/")).length;
}

function files(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`src/d${i % 4}/sub/f${i}.txt`] = `file ${i}\n`.repeat(i % 7 + 1);
  return out;
}

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`incremental COPY: a changed file gives the image a full copy gives (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile":
        `FROM ${base}\nCOPY . /ctx\nCOPY --chown=7:8 --chmod=640 src/d1 /opt/d1\nRUN find /ctx /opt -mindepth 1 ! -path /opt/d1 -exec stat -c '%n %A %u %g %s %Y' {} + > /listing\n`,
      ...files(60),
      "bin/tool.sh": "#!/bin/sh\necho tool\n",
      "link": "src/d0",
    });
    await Deno.chmod(join(ctx, "bin/tool.sh"), 0o755);
    await Deno.remove(join(ctx, "link"));
    await Deno.symlink("src/d0", join(ctx, "link"));
    await age(ctx);
    const store = await makeStore(owner), fresh = await makeStore(owner), out = await makeStore(owner);
    const build = async (root: string, ...extra: string[]) => {
      const r = await runTsbuild([
        "build",
        "--root",
        root,
        "--progress",
        "plain",
        "--source-date-epoch",
        EPOCH,
        "--iidfile",
        `${out}/iid`,
        ...extra,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      return { steps: steps(r.stderr), id: (await Deno.readTextFile(`${out}/iid`)).trim() };
    };
    try {
      const first = await build(store);
      assertEquals(await sharedInodes(store), 0, "a cold build clones nothing");

      // Content and mtime of two files change (one copied by both COPYs); names, modes and links stay.
      await Deno.writeTextFile(join(ctx, "src/d1/sub/f5.txt"), "changed five\n");
      await Deno.writeTextFile(join(ctx, "src/d2/sub/f6.txt"), "changed six, longer than before\n");
      // Same size, new bytes: the replay must not take this body from the last layer's tar.
      await Deno.writeTextFile(join(ctx, "src/d0/sub/f4.txt"), "FILE 4\n".repeat(5)); // before the others in the tar
      await age(ctx);
      await Deno.utime(join(ctx, "src/d1/sub/f5.txt"), OLD, new Date("2021-06-07T08:09:10Z"));
      const second = await build(store, "-o", `type=local,dest=${out}/fs`);
      assert(second.steps.ran.some((s) => s.startsWith("COPY . /ctx")), JSON.stringify(second.steps));
      assert(second.id !== first.id, "the image changed");
      assert(await sharedInodes(store) > 60, "the second COPYs started from hardlinked clones");
      assertEquals(await Deno.readTextFile(`${out}/fs/ctx/src/d1/sub/f5.txt`), "changed five\n");
      assertEquals(await Deno.readTextFile(`${out}/fs/opt/d1/sub/f5.txt`), "changed five\n");
      assertEquals(await Deno.readTextFile(`${out}/fs/ctx/src/d0/sub/f4.txt`), "FILE 4\n".repeat(5));
      assertEquals(
        (await Deno.lstat(`${out}/fs/ctx/src/d1/sub/f5.txt`)).mtime?.toISOString(),
        "2021-06-07T08:09:10.000Z",
      );

      const full = await build(fresh);
      assertEquals(full.id, second.id, "the incremental COPY's image is the full copy's");

      // A file removed and one added change the selection's shape: a full copy, still the same image as fresh.
      await Deno.remove(join(ctx, "src/d3/sub/f7.txt"));
      await Deno.writeTextFile(join(ctx, "src/d3/new.txt"), "new\n");
      await age(ctx);
      const third = await build(store, "-o", `type=local,dest=${out}/fs3`);
      assertEquals(await Deno.lstat(`${out}/fs3/ctx/src/d3/sub/f7.txt`).catch(() => null), null);
      assertEquals(await Deno.readTextFile(`${out}/fs3/ctx/src/d3/new.txt`), "new\n");
      await removeAll(fresh);
      await Deno.mkdir(fresh);
      if (owner) await Deno.chown(fresh, owner.uid, owner.gid);
      assertEquals((await build(fresh)).id, third.id);
    } finally {
      for (const d of [ctx, store, fresh, out]) await removeAll(d);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`incremental COPY: a COPY of a symlink is keyed on its target's content (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": "FROM scratch\nCOPY link.txt /out\n", "target.txt": "one\n" });
    await Deno.symlink("target.txt", join(ctx, "link.txt"));
    const owner = as === "user" ? user : undefined;
    const store = await makeStore(owner), out = await makeStore(owner);
    try {
      for (const want of ["one\n", "two\n"]) {
        await Deno.writeTextFile(join(ctx, "target.txt"), want);
        const r = await runTsbuild(["build", "--root", store, "-o", `type=local,dest=${out}/${want.trim()}`, ctx], {
          as,
        });
        assertEquals(r.code, 0, r.stderr);
        assertEquals(await Deno.readTextFile(`${out}/${want.trim()}/out`), want);
      }
    } finally {
      for (const d of [ctx, store, out]) await removeAll(d);
    }
  });
}

Deno.test("incremental COPY: stop the registry", async () => {
  await registry.stop();
});
