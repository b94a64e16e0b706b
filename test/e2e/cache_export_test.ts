/**
 * `--cache-to` / `--cache-from` end to end through the CLI as root and as an unprivileged user: a build on a fresh
 * store gets every step from a cache exported by an earlier build (type=local, type=registry, inline in a pushed
 * image), runs no RUN (its random marker is the first build's) and makes the identical image; a changed file misses
 * from its COPY on only; a missing cache warns; a cache that cannot be written fails after the image is built.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const DOCKERFILE = `FROM ${base} AS tool
RUN head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /tool

FROM ${base}
COPY a.txt /a.txt
RUN cat /a.txt > /copy && head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /marker
COPY --from=tool /tool /tool
COPY b.txt /b.txt
RUN cat /b.txt /marker > /combined
`;
const ALL = ["COPY a.txt /a.txt", "RUN cat /a.txt", "COPY --from=tool /tool /tool", "COPY b.txt /b.txt", "RUN cat /b.txt /marker"];

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`cache export: type=local, type=registry and inline caches give a fresh store every step (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE, "a.txt": "a1\n", "b.txt": "b1\n" });
    const work = await makeStore(owner);
    const cacheDir = join(work, "cache");
    const cacheRef = `${registry.host}/cache-${as}:buildcache`;
    let n = 0;
    const build = async (...extra: string[]) => {
      const store = join(work, `store${++n}`);
      const out = join(work, `out${n}`);
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "-o", `type=local,dest=${out}`, ...extra, ctx], { as });
      assertEquals(r.code, 0, r.stderr);
      const manifest = /\(manifest (sha256:[0-9a-f]{64})\)/.exec(r.stderr)?.[1];
      assert(manifest, r.stderr);
      const marker = await Deno.readTextFile(join(out, "marker"));
      return { ...steps(r.stderr), stderr: r.stderr, store, manifest, marker, combined: await Deno.readTextFile(join(out, "combined")) };
    };
    const ran = (s: string[]) => s.map((x) => x.replace(/^(\S+ \S+).*$/, "$1"));
    try {
      const first = await build("--cache-to", `type=local,dest=${cacheDir},mode=max`, "--cache-to", `type=registry,ref=${cacheRef}`);
      assertEquals(first.ran.length, ALL.length + 1, first.stderr);
      assertMatch(first.stderr, /exported cache type=local,dest=\S+: 6 records/, "max: the tool stage's RUN too");
      assertMatch(first.stderr, /exported cache type=registry,ref=\S+: 5 records/, "min: the final stage's five steps");

      // A fresh store with the mode=max cache: nothing runs, the image and the RUN's marker are the first build's.
      const local = await build("--cache-from", `type=local,src=${cacheDir}`);
      assertEquals(local.ran, [], local.stderr);
      for (const s of ALL) assert(local.cached.some((c) => c.startsWith(s)), `${s} CACHED:\n${local.stderr}`);
      assertEquals([local.manifest, local.marker], [first.manifest, first.marker]);

      // Bare ref = type=registry; a missing cache ref beside it only warns. The mode=min cache has no record of the
      // tool stage, which is not needed: the COPY --from it hits (keys never depend on what a step made).
      const missing = `${registry.host}/cache-${as}:nothing`;
      const reg = await build("--cache-from", `type=registry,ref=${missing}`, "--cache-from", cacheRef);
      assertEquals(reg.ran, [], reg.stderr);
      for (const s of ALL) assert(reg.cached.some((c) => c.startsWith(s)), `${s} CACHED:\n${reg.stderr}`);
      assertEquals([reg.manifest, reg.marker], [first.manifest, first.marker]);
      assertStringIncludes(reg.stderr, `failed to import cache type=registry,ref=${missing}: not found`);

      // b.txt changes: only its COPY and the RUN after it run; the marker still comes from the cache.
      await Deno.writeTextFile(join(ctx, "b.txt"), "b2\n");
      const changed = await build("--cache-from", `type=local,src=${cacheDir}`);
      assertEquals(ran(changed.ran), ["COPY b.txt", "RUN cat"], changed.stderr);
      assertEquals(changed.marker, first.marker);
      assertEquals(changed.combined, `b2\n${first.marker}`);
      assert(changed.manifest !== first.manifest);

      // Inline: the cache rides in the pushed image's config (pushed from the last store, all cached); a fresh
      // store builds from it with nothing to run, and makes that image without the cache key.
      const image = `${registry.host}/inline-${as}:1`;
      const pushed = await runTsbuild(["build", "--root", changed.store, "--progress", "plain", "--cache-to", "type=inline", "-t", image, "--push", ctx], { as });
      assertEquals([pushed.code, steps(pushed.stderr).ran], [0, []], pushed.stderr);
      const inline = await build("--cache-from", image);
      assertEquals(inline.ran, [], inline.stderr);
      assertEquals([inline.manifest, inline.marker], [changed.manifest, first.marker], "the image of the same context");
    } finally {
      await removeAll(ctx);
      await removeAll(work);
    }
  });

  Deno.test(`cache export: bad specs are usage errors; an unwritable cache fails after the image (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo x > /x\n` });
    const store = await makeStore(owner);
    try {
      const usage = await runTsbuild(["build", "--root", store, "--cache-to", "type=gha", ctx], { as });
      assertEquals(usage.code, 2, usage.stderr);
      assertStringIncludes(usage.stderr, `--cache-to type=gha: unknown type "gha"`);
      const attr = await runTsbuild(["build", "--root", store, "--cache-from", "type=local,dest=/x", ctx], { as });
      assertEquals(attr.code, 2, attr.stderr);
      assertStringIncludes(attr.stderr, `--cache-from type=local,dest=/x: unknown attribute "dest"`);

      const bad = await runTsbuild(["build", "--root", store, "--progress", "plain", "--cache-to", "type=registry,ref=127.0.0.1:1/x/y:c", ctx], { as });
      assertEquals(bad.code, 1, bad.stderr);
      assertStringIncludes(bad.stderr, "failed to export cache type=registry,ref=127.0.0.1:1/x/y:c: ");
      assertEquals(steps(bad.stderr).ran.length, 1, "the image was built first");
      const ignored = await runTsbuild(["build", "--root", store, "--progress", "plain", "--cache-to", "type=registry,ref=127.0.0.1:1/x/y:c,ignore-error=true", ctx], { as });
      assertEquals(ignored.code, 0, ignored.stderr);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}
