/** The `./tsbuild` wrapper: found through symlinks from any cwd, and a clear message when Deno is not installed. */
import { assertEquals, assertStringIncludes } from "../util/assert.ts";

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
