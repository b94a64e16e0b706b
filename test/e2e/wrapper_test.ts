/** The `./tsbuild` wrapper: found through symlinks from any cwd, and a clear message when Deno is not installed. */
import { assertEquals, assertStringIncludes } from "../util/assert.ts";
import { runTsbuild, testUser } from "../util/user.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const dec = new TextDecoder();

async function sh(script: string, cwd: string): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("bash", { args: ["-c", script], cwd, stdout: "piped", stderr: "piped" }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test("tsbuild wrapper: a chain of symlinks from another cwd behaves exactly like ./tsbuild", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.symlink(`${ROOT}/tsbuild`, `${dir}/link1`);
    await Deno.mkdir(`${dir}/bin`);
    await Deno.symlink("../link1", `${dir}/bin/tsbuild`); // relative link to a link
    const direct = await sh(`"${ROOT}/tsbuild" --version`, ROOT);
    const linked = await sh(`./bin/tsbuild --version`, dir);
    assertEquals(linked, direct);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tsbuild wrapper: without node_modules it says to run scripts/install.sh", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(`${ROOT}/tsbuild`, `${dir}/tsbuild`);
    await Deno.chmod(`${dir}/tsbuild`, 0o755);
    const r = await sh("./tsbuild --version", dir);
    assertEquals(r.code, 127);
    assertStringIncludes(r.out, "scripts/install.sh");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tsbuild wrapper: runs the bundle while it is fresh, the sources once one is edited or when asked", async () => {
  // A copy of the checkout (sources as git lists them, node_modules linked) with its own bundle.
  const dir = await Deno.makeTempDir();
  try {
    const listed = await sh(
      `git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "${dir}" -xf -`,
      ROOT,
    );
    assertEquals(listed.code, 0, listed.out);
    await Deno.symlink(`${ROOT}/node_modules`, `${dir}/node_modules`);
    const bundled = await sh("bash scripts/bundle.sh", dir);
    assertEquals(bundled.code, 0, bundled.out);
    const program = async (env = "") => {
      const r = await sh(`${env} ./tsbuild doctor`, dir);
      return r.out.match(/^program: (.*)$/m)?.[1];
    };
    assertEquals(await program(), `${dir}/${bundled.out.trim()}`);
    assertEquals(await program("TSBUILD_FROM_SOURCE=1"), `${dir}/cli/main.ts`);
    // --if-stale keeps a fresh bundle.
    assertEquals((await sh("bash scripts/bundle.sh --if-stale", dir)).out, bundled.out);

    // An edit anywhere in the sources (not only cli/) makes the bundle stale until it is made again.
    await Deno.utime(`${dir}/snapshotter/mod.ts`, new Date(), new Date(Date.now() + 5000));
    assertEquals(await program(), `${dir}/cli/main.ts`);
    const again = await sh("bash scripts/bundle.sh --if-stale", dir);
    assertEquals(again.code, 0, again.out);
    assertEquals(again.out === bundled.out, false);
    await Deno.utime(`${dir}/snapshotter/mod.ts`, new Date(), new Date(Date.now() - 5000));
    assertEquals(await program(), `${dir}/${again.out.trim()}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tsbuild wrapper: enters the namespace itself as an unprivileged user, probing unshare once", async () => {
  const user = await testUser();
  const home = await Deno.makeTempDir();
  try {
    await Deno.chown(home, user.uid, user.gid);
    await Deno.writeTextFile(`${home}/Dockerfile`, "FROM scratch\nCOPY Dockerfile /\n");
    const stamp = `${home}/.cache/tsbuild/userns-ok`;
    const build = () =>
      runTsbuild(["build", "--root", `${home}/store`, "-q", "-o", `type=local,dest=${home}/out`, home], {
        as: "user",
        env: { HOME: home },
      });
    const first = await build();
    assertEquals(first.code, 0, first.stderr);
    // The probe's success is remembered for this kernel, user and unshare arguments...
    const kernel = (await Deno.readTextFile("/proc/sys/kernel/osrelease")).trim();
    assertEquals(
      (await Deno.readTextFile(stamp)).trim(),
      `${kernel} ${user.uid} --user --map-root-user --map-auto --mount`,
    );
    // ...and a stamp that does not match is probed again and replaced, never trusted.
    await Deno.writeTextFile(stamp, "another-kernel\n");
    const second = await build();
    assertEquals(second.code, 0, second.stderr);
    assertEquals((await Deno.readTextFile(stamp)).trim().startsWith(kernel), true);
    assertEquals(await Deno.readTextFile(`${home}/out/Dockerfile`), "FROM scratch\nCOPY Dockerfile /\n");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
