import { assertEquals } from "../test/util/assert.ts";
import { convert } from "../frontend/convert/testing.ts";
import { stepNames } from "./step_names.ts";

/** The step names in vertex order, as `--progress plain` prints them (bench/parity.sh checked them on dockerd). */
async function names(dockerfile: string): Promise<string[]> {
  const { graph } = await convert(dockerfile);
  return [...stepNames(graph).names.values()].filter((n) => n.startsWith("[") && !n.startsWith("[internal]")).sort();
}

Deno.test("step names follow BuildKit: no stage label in a one-stage file, FROM counted only for images", async () => {
  assertEquals(await names("FROM scratch\nCOPY a /a\nCOPY a /b\n"), ["[1/2] COPY a /a", "[2/2] COPY a /b"]);
  assertEquals(await names("FROM scratch AS build\nCOPY a /a\n"), ["[1/1] COPY a /a"]);
  const busybox = await names("FROM busybox\nRUN true\n");
  assertEquals(busybox.map((n) => n.replace(/@sha256:[0-9a-f]+/, "@<digest>")), [
    "[1/2] FROM busybox@<digest>",
    "[2/2] RUN true",
  ]);
});

Deno.test("step names in several stages: name or stage-N, a stage's own steps only, indexes padded", async () => {
  assertEquals(await names("FROM scratch AS a\nCOPY a /a\nFROM a\nCOPY a /b\n"), [
    "[a 1/1] COPY a /a",
    "[stage-1 1/1] COPY a /b",
  ]);
  const many = "FROM scratch AS x\n" + Array.from({ length: 10 }, (_, i) => `COPY a /f${i}\n`).join("") + "FROM x\n";
  const got = await names(many);
  assertEquals([got[0], got.at(-1)], ["[x  1/10] COPY a /f0", "[x 10/10] COPY a /f9"]);
});

Deno.test("step names in a multi-platform build lead with the platform, as BuildKit's", async () => {
  const { graph } = await convert("FROM scratch AS a\nCOPY a /a\nFROM a\nCOPY a /b\n");
  const got = [...stepNames(graph, "linux/arm64").names.values()].filter((n) => n.startsWith("[l")).sort();
  assertEquals(got, ["[linux/arm64 a 1/1] COPY a /a", "[linux/arm64 stage-1 1/1] COPY a /b"]);
});
