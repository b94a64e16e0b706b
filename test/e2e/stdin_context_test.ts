/**
 * `tsbuild build -` as `docker build -` reads stdin, as root and as an unprivileged user: a Dockerfile alone (an
 * empty context), or a context as a plain or gzipped tar with `-f` naming the Dockerfile inside it; and outputs
 * written to stdout (`-o -`, `type=oci,dest=-`).
 */
import { assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

async function tarOf(dir: string, gzip: boolean): Promise<Uint8Array> {
  const o = await new Deno.Command("tar", { args: [gzip ? "-czf" : "-cf", "-", "-C", dir, "."], stdout: "piped" })
    .output();
  if (!o.success) throw new Error("tar failed");
  return o.stdout;
}

for (const as of ["root", "user"] as const) {
  Deno.test(`stdin: a Dockerfile alone, a tar context and a gzipped one with -f (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}\nCOPY app.txt /app.txt\n`,
      "sub/Other.dockerfile": `FROM ${base}\nCOPY sub/b.txt /b.txt\nRUN cat /b.txt > /seen\n`,
      "app.txt": "app\n",
      "sub/b.txt": "b\n",
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      const alone = await runTsbuild(
        ["build", "--root", store, "--output", `type=local,dest=${out}/alone`, "-"],
        { as, stdin: `FROM ${base}\nRUN echo from-stdin > /x\n` },
      );
      assertEquals(alone.code, 0, alone.stderr);
      assertEquals(await Deno.readTextFile(`${out}/alone/x`), "from-stdin\n");

      const plain = await runTsbuild(["build", "--root", store, "--output", `type=local,dest=${out}/plain`, "-"], {
        as,
        stdin: await tarOf(ctx, false),
      });
      assertEquals(plain.code, 0, plain.stderr);
      assertEquals(await Deno.readTextFile(`${out}/plain/app.txt`), "app\n");

      const gz = await runTsbuild(
        ["build", "--root", store, "-f", "sub/Other.dockerfile", "--output", `type=local,dest=${out}/gz`, "-"],
        { as, stdin: await tarOf(ctx, true) },
      );
      assertEquals(gz.code, 0, gz.stderr);
      assertEquals(await Deno.readTextFile(`${out}/gz/seen`), "b\n");

      // A Dockerfile alone has an empty context: COPY finds nothing, and says so.
      const empty = await runTsbuild(["build", "--root", store, "-"], { as, stdin: `FROM ${base}\nCOPY app.txt /\n` });
      assertEquals(empty.code, 1, empty.stderr);
      assertStringIncludes(empty.stderr, `"/app.txt": not found`);
      const both = await runTsbuild(["build", "--root", store, "-f", "-", "-"], { as, stdin: "FROM scratch\n" });
      assertEquals(both.code, 2, both.stderr);
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`stdout: -o - is the filesystem as a tar, type=oci,dest=- an OCI archive skopeo reads (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nCOPY app.txt /app.txt\n`, "app.txt": "app\n" });
    const store = await makeStore(owner);
    const tmp = await Deno.makeTempDir();
    try {
      const fsTar = await runTsbuild(["build", "--root", store, "-q", "-o", "-", ctx], { as });
      assertEquals(fsTar.code, 0, fsTar.stderr);
      await Deno.writeFile(`${tmp}/fs.tar`, fsTar.stdoutBytes);
      const list = await new Deno.Command("tar", { args: ["-tf", `${tmp}/fs.tar`], stdout: "piped" }).output();
      assertStringIncludes(new TextDecoder().decode(list.stdout), "./app.txt");

      const oci = await runTsbuild(["build", "--root", store, "-o", "type=oci,dest=-", ctx], { as });
      assertEquals(oci.code, 0, oci.stderr);
      await Deno.writeFile(`${tmp}/oci.tar`, oci.stdoutBytes);
      const info = await new Deno.Command("skopeo", {
        args: ["inspect", `oci-archive:${tmp}/oci.tar`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(info.success, true, new TextDecoder().decode(info.stderr));
      assertEquals(JSON.parse(new TextDecoder().decode(info.stdout)).Layers.length, 2);
    } finally {
      await removeAll(store);
      await removeAll(ctx);
      await removeAll(tmp);
    }
  });
}
