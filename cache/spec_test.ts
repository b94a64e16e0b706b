import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { CacheSpecError, parseCacheFrom, parseCacheTo } from "./spec.ts";

Deno.test("cache specs: buildx forms", () => {
  assertEquals(parseCacheTo("type=local,dest=/c"), { type: "local", dest: "/c", mode: "min", ignoreError: false });
  assertEquals(parseCacheTo("type=registry,ref=r:5000/a:cache,mode=max,ignore-error=true"), {
    type: "registry",
    ref: "r:5000/a:cache",
    mode: "max",
    ignoreError: true,
  });
  assertEquals(parseCacheTo("type=inline"), { type: "inline" });
  assertEquals(parseCacheFrom("type=local,src=/c"), { type: "local", src: "/c" });
  assertEquals(parseCacheFrom("r:5000/a:cache"), { type: "registry", ref: "r:5000/a:cache" });
  assertEquals(parseCacheFrom("type=registry,ref=x/y"), { type: "registry", ref: "x/y" });
});

Deno.test("cache specs: errors name the flag and value", () => {
  const cases: [() => unknown, string][] = [
    [() => parseCacheTo("type=gha"), `--cache-to type=gha: unknown type "gha"`],
    [() => parseCacheTo("type=local"), "--cache-to type=local: dest= is required"],
    [
      () => parseCacheTo("type=local,dest=/c,mode=all"),
      "--cache-to type=local,dest=/c,mode=all: mode=all: use min or max",
    ],
    [
      () => parseCacheTo("type=registry,ref=a,compression=zstd"),
      `--cache-to type=registry,ref=a,compression=zstd: unknown attribute "compression"`,
    ],
    [() => parseCacheTo("type=inline,mode=max"), "type=inline supports only mode=min"],
    [() => parseCacheTo("dest=/c"), "--cache-to dest=/c: type= is required"],
    [() => parseCacheFrom("type=s3,bucket=b"), `--cache-from type=s3,bucket=b: unknown type "s3"`],
    [() => parseCacheFrom("type=local,dest=/c"), `--cache-from type=local,dest=/c: unknown attribute "dest"`],
  ];
  for (const [f, msg] of cases) assertThrows(f, CacheSpecError, msg);
});
