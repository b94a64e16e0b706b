import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runTsbuild, testUser } from "./user.ts";

const REPO = new URL("../..", import.meta.url).pathname;

async function asUser(name: string, script: string): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("runuser", { args: ["-u", name, "--", "sh", "-c", script], stdout: "piped" })
    .output();
  return { code: o.code, out: new TextDecoder().decode(o.stdout) };
}

Deno.test("testUser: the user exists with a subuid range and can read and run its copy of the project", async () => {
  const u = await testUser();
  assertEquals(String(u.uid), (await asUser(u.name, "id -u")).out.trim());
  assert(u.uid !== 0);
  assertMatch(await Deno.readTextFile("/etc/subuid"), new RegExp(`^${u.name}:\\d+:65536$`, "m"));
  assertEquals(
    (await asUser(u.name, `test -x '${u.projectDir}/tsbuild' && test -r '${u.projectDir}/deno.json'`)).code,
    0,
  );
  assertEquals((await asUser(u.name, `'${u.projectDir}/node_modules/.bin/deno' --version >/dev/null`)).code, 0);
  // The copy holds the same sources as the checkout.
  assertEquals(
    await Deno.readTextFile(`${u.projectDir}/test/util/user.ts`),
    await Deno.readTextFile(`${REPO}/test/util/user.ts`),
  );
  assertEquals(await testUser(), u);
});

for (const as of ["root", "user"] as const) {
  Deno.test(`runTsbuild --version works as ${as}`, async () => {
    const r = await runTsbuild(["--version"], { as });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout + r.stderr, /\d+\.\d+\.\d+/);
  });
}
