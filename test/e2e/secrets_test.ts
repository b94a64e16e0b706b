/**
 * The secrets proof (issue #7), end to end with the real CLI as root and as an unprivileged user: RUN steps read
 * `--secret` values through files and env, yet no blob or JSON document of the pushed image and no file of the
 * store holds the secret bytes, and a new secret value does not invalidate the cache.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";
import { findLeaks } from "../../ssh/test_leak_scan.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const DOCKERFILE = `FROM ${base}
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -c1-64 > /tok.sha && stat -c %a /run/secrets/tok > /tok.mode
RUN --mount=type=secret,id=tok,target=/x sha256sum /x | cut -c1-64 > /x.sha
RUN --mount=type=secret,id=tok2,env=SEC printf %s "$SEC" | sha256sum | cut -c1-64 > /env.sha && if [ -e /run/secrets/tok2 ]; then echo file > /env.extra; fi
RUN --mount=type=secret,id=nope if [ -e /run/secrets/nope ]; then echo present; else echo absent; fi > /optional.txt
`;

async function sha256Hex(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A secret file the build's user can read, outside the build context. */
async function secretFile(value: string): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-secret-" });
  await Deno.chmod(dir, 0o755);
  await Deno.writeTextFile(`${dir}/tok`, value);
  await Deno.chmod(`${dir}/tok`, 0o644);
  return { dir, path: `${dir}/tok` };
}

/** The step numbers of RUN steps and whether each was reported CACHED (plain progress: `#N RUN …`, `#N CACHED`). */
function runSteps(stderr: string): { name: string; cached: boolean }[] {
  const steps = new Map<string, { name: string; cached: boolean }>();
  for (const m of stderr.matchAll(/^#(\d+) (\[.*?\] )?(RUN .*)$/gm)) steps.set(m[1], { name: m[3], cached: false });
  for (const m of stderr.matchAll(/^#(\d+) CACHED$/gm)) if (steps.has(m[1])) steps.get(m[1])!.cached = true;
  return [...steps.values()];
}

for (const as of ["root", "user"] as const) {
  Deno.test(`secrets: files, targets and env reach RUN, never the image or the store, and keep the cache (${as})`, async () => {
    const secret1 = `tok-${crypto.randomUUID()}`;
    const env1 = `env-${crypto.randomUUID()}`;
    const file1 = await secretFile(secret1);
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE });
    const store = await makeStore(as === "user" ? user : undefined);
    const ref = `${registry.host}/e2e/secrets-${as}:1`;
    const args = (file: string) => [
      "build",
      "--root",
      store,
      "--progress",
      "plain",
      "-t",
      ref,
      "--push",
      "--secret",
      `id=tok,src=${file}`,
      "--secret",
      "id=tok2,env=MY_TOKEN",
      ctx,
    ];
    const cleanup = [ctx, store, file1.dir];
    try {
      const r = await runTsbuild(args(file1.path), { as, env: { MY_TOKEN: env1 } });
      assertEquals(r.code, 0, `build failed:\n${r.stderr}`);

      const rootfs = await unpackWithUmoci(ref);
      cleanup.push(`${rootfs}/..`);
      const read = (p: string) => Deno.readTextFile(`${rootfs}/${p}`).then((s) => s.trim());
      assertEquals(
        await read("tok.sha"),
        await sha256Hex(secret1),
        "the default target /run/secrets/tok holds the value",
      );
      assertEquals(await read("tok.mode"), "400", "secrets are mounted 0400 by default");
      assertEquals(await read("x.sha"), await sha256Hex(secret1), "target=/x holds the value");
      assertEquals(await read("env.sha"), await sha256Hex(env1), "env=SEC holds the value");
      assert(!(await Deno.stat(`${rootfs}/env.extra`).then(() => true, () => false)), "env= alone mounts no file");
      assertEquals(await read("optional.txt"), "absent", "an optional secret that was not given is not there");
      for (const p of ["x", "run/secrets/tok", "run/secrets"]) {
        assert(!(await Deno.lstat(`${rootfs}/${p}`).then(() => true, () => false)), `/${p} must not reach the image`);
      }

      // A new value for every secret: the steps' definitions did not change, so every RUN is a cache hit and the
      // image still holds the first build's results.
      const secret2 = `tok-${crypto.randomUUID()}`;
      const env2 = `env-${crypto.randomUUID()}`;
      const file2 = await secretFile(secret2);
      cleanup.push(file2.dir);
      const r2 = await runTsbuild(args(file2.path), { as, env: { MY_TOKEN: env2 } });
      assertEquals(r2.code, 0, `second build failed:\n${r2.stderr}`);
      const steps = runSteps(r2.stderr);
      assertEquals(steps.length, 4, `expected the 4 RUN steps in the progress output:\n${r2.stderr}`);
      for (const s of steps) assert(s.cached, `${s.name} must be CACHED after only the secret changed:\n${r2.stderr}`);
      const rootfs2 = await unpackWithUmoci(ref);
      cleanup.push(`${rootfs2}/..`);
      assertEquals((await Deno.readTextFile(`${rootfs2}/tok.sha`)).trim(), await sha256Hex(secret1));

      const leaks = await findLeaks([secret1, env1, secret2, env2], { ref, dirs: [store] });
      assertEquals(leaks, [], "no blob, JSON document or store file may hold a secret");
    } finally {
      for (const d of cleanup) await removeAll(d);
    }
  });

  Deno.test(`secrets: a required secret that was not given fails naming it (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}\nRUN --mount=type=secret,id=api_key,required=true cat /run/secrets/api_key\n`,
    });
    const store = await makeStore(as === "user" ? user : undefined);
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as });
      assert(r.code !== 0, "the build must fail");
      assertStringIncludes(r.stderr, "api_key");
      assertStringIncludes(r.stderr, "--secret id=api_key");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "secrets: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
