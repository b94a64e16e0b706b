import { assertEquals } from "../test/util/assert.ts";
import { findLeaks } from "./test_leak_scan.ts";

// The proofs rely on this scanner finding zero leaks, so it must be shown to find planted ones.
Deno.test("findLeaks finds needles in plain files, inside gzip streams and line by line of a PEM, and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const needle = `needle-${crypto.randomUUID()}`;
    await Deno.writeTextFile(`${dir}/clean.json`, JSON.stringify({ a: "nothing here" }));
    assertEquals(await findLeaks([needle], { dirs: [dir] }), []);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/plain`, `prefix ${needle} suffix`);
    const gz = new Blob([new TextEncoder().encode(`xx${needle}yy`)]).stream().pipeThrough(
      new CompressionStream("gzip"),
    );
    await Deno.writeFile(`${dir}/layer.tar.gz`, gz);
    assertEquals((await findLeaks([needle], { dirs: [dir] })).sort(), [
      `${dir}/layer.tar.gz (decompressed)`,
      `${dir}/sub/plain`,
    ]);
    const pem = `-----BEGIN KEY-----\nAAAAbodyline1-${needle}\nAAAAbodyline2\n-----END KEY-----\n`;
    await Deno.writeTextFile(`${dir}/partial`, "AAAAbodyline2\n");
    assertEquals(
      (await findLeaks([pem], { dirs: [`${dir}/partial`.replace(/\/partial$/, "")] })).includes(`${dir}/partial`),
      true,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
