import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { InvalidReferenceError } from "./errors.ts";
import { parseReference } from "./reference.ts";

Deno.test("parseReference normalizes like docker", () => {
  const cases: [string, string, string, string, string | undefined, string | undefined][] = [
    // input, registry, repository, full, tag, familiar
    ["busybox", "docker.io", "library/busybox", "docker.io/library/busybox:latest", "latest", "busybox:latest"],
    ["library/busybox:1.36", "docker.io", "library/busybox", "docker.io/library/busybox:1.36", "1.36", "busybox:1.36"],
    ["me/app:v1", "docker.io", "me/app", "docker.io/me/app:v1", "v1", "me/app:v1"],
    ["index.docker.io/me/app", "docker.io", "me/app", "docker.io/me/app:latest", "latest", "me/app:latest"],
    ["localhost/app", "localhost", "app", "localhost/app:latest", "latest", "localhost/app:latest"],
    ["localhost:5000/a/b:t", "localhost:5000", "a/b", "localhost:5000/a/b:t", "t", "localhost:5000/a/b:t"],
    ["127.0.0.1:5000/x", "127.0.0.1:5000", "x", "127.0.0.1:5000/x:latest", "latest", "127.0.0.1:5000/x:latest"],
    ["ghcr.io/o/r/s:1", "ghcr.io", "o/r/s", "ghcr.io/o/r/s:1", "1", "ghcr.io/o/r/s:1"],
    ["[::1]:5000/app:2", "[::1]:5000", "app", "[::1]:5000/app:2", "2", "[::1]:5000/app:2"],
  ];
  for (const [input, registry, repository, full, tag, familiar] of cases) {
    const r = parseReference(input);
    assertEquals([r.registry, r.repository, r.toString(), r.tag, r.familiar()], [
      registry,
      repository,
      full,
      tag,
      familiar,
    ], input);
  }
});

Deno.test("parseReference keeps tag and digest together, and a digest alone gets no tag", () => {
  const d = "sha256:" + "ab".repeat(32);
  const both = parseReference(`busybox:1.36@${d}`);
  assertEquals([both.tag, both.digest, both.toString()], ["1.36", d, `docker.io/library/busybox:1.36@${d}`]);
  const only = parseReference(`example.com:443/a@${d}`);
  assertEquals([only.registry, only.tag, only.digest, only.familiar()], [
    "example.com:443",
    undefined,
    d,
    `example.com:443/a@${d}`,
  ]);
});

Deno.test("parseReference rejects what docker rejects", () => {
  for (
    const bad of [
      "",
      "Busybox",
      "busybox:",
      "a/B/c",
      "busy box",
      "busybox@sha256:abc",
      "-a/b",
      "a//b",
      "a:" + "t".repeat(129),
      "x/" + "a".repeat(260),
    ]
  ) {
    assertThrows(() => parseReference(bad), InvalidReferenceError, "invalid image reference");
  }
});
