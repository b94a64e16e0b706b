import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { parseBuildFlags } from "./build_flags.ts";
import { parseBytes, parseSecret, parseUlimit } from "./flag_values.ts";
import { UsageError } from "./errors.ts";

Deno.test("-o type=image|registry attributes: name (quoted lists too) adds tags, oci-mediatypes and compression apply", () => {
  const f = parseBuildFlags([
    "-t",
    "r/a:1",
    "-o",
    `type=registry,"name=r/a:1,r/a:latest",oci-mediatypes=false,compression=zstd`,
    ".",
  ]);
  assertEquals(f.tags, ["r/a:1", "r/a:latest"]);
  assertEquals(f.outputs, [{ type: "image", push: true }]);
  assertEquals(f.format, "docker");
  assertEquals(f.compression, { compression: "zstd", level: undefined });
  const d = parseBuildFlags(["-o", "type=image,name=r/c,push-by-digest=true,name-canonical=true,push=true", "."]);
  assertEquals([d.tags, d.outputs], [["r/c"], [{ type: "image", push: true, pushByDigest: true }]]);
  const g = parseBuildFlags(["-o", "type=image,name=r/b:2,push=true", "--format", "oci", "."]);
  assertEquals([g.tags, g.outputs, g.format], [["r/b:2"], [{ type: "image", push: true }], "oci"]);
});

Deno.test("--secret as buildx reads it: src/source, env, and type=env|file naming the variable or file by the id", () => {
  assertEquals(parseSecret("id=a,src=/f"), { id: "a", src: "/f" });
  assertEquals(parseSecret("id=a,env=VAR"), { id: "a", env: "VAR" });
  assertEquals(parseSecret("type=env,id=TOKEN"), { id: "TOKEN", env: "TOKEN" });
  assertEquals(parseSecret("type=file,id=key.pem"), { id: "key.pem", src: "key.pem" });
  assertThrows(() => parseSecret("type=vault,id=x"), UsageError, `unknown type "vault"`);
});

Deno.test("--ulimit and sizes as docker takes them", () => {
  assertEquals(parseUlimit("nofile=1024"), { name: "nofile", soft: 1024, hard: 1024 });
  assertEquals(parseUlimit("nproc=-1:-1"), { name: "nproc", soft: -1, hard: -1 });
  assertEquals(parseUlimit("core=0:-1"), { name: "core", soft: 0, hard: -1 });
  assertThrows(() => parseUlimit("nofile=-1:10"), UsageError, "above the hard limit");
  assertThrows(() => parseUlimit("files=1"), UsageError, `unknown limit "files"`);
  assertEquals([parseBytes("--shm-size", "64m"), parseBytes("--shm-size", "1g"), parseBytes("--shm-size", "4096")], [
    64 * 2 ** 20,
    2 ** 30,
    4096,
  ]);
});

Deno.test("--progress=quiet is -q; an unknown mode is a usage error naming the choices", () => {
  const q = parseBuildFlags(["--progress=quiet", "."]);
  assertEquals([q.quiet, q.progress], [true, "plain"]);
  assertThrows(() => parseBuildFlags(["--progress=fancy", "."]), UsageError, "use auto, tty, plain, rawjson or quiet");
});

Deno.test("-o type=cacheonly builds without exporting; an unknown output type lists the known ones", () => {
  assertEquals(parseBuildFlags(["-o", "type=cacheonly", "."]).outputs, [{ type: "cacheonly" }]);
  assertThrows(() => parseBuildFlags(["-o", "type=nope", "."]), UsageError, "tar, cacheonly)");
});

Deno.test("--call as buildx reads it: a name and format=json|text fields", () => {
  const pick = (f: ReturnType<typeof parseBuildFlags>) => [f.check, f.listTargets, f.outline, f.callFormat];
  assertEquals(pick(parseBuildFlags(["."])), [false, false, false, undefined]);
  assertEquals(pick(parseBuildFlags(["--call=check", "."])), [true, false, false, undefined]);
  assertEquals(pick(parseBuildFlags(["--call", "targets,format=json", "."])), [false, true, false, "json"]);
  assertEquals(pick(parseBuildFlags(["--call=format=text,outline", "."])), [false, false, true, undefined]);
  assertThrows(() => parseBuildFlags(["--call=outline,targets", "."]), UsageError, "one name only");
  assertThrows(() => parseBuildFlags(["--call=outline,format=yaml", "."]), UsageError, "use json or text");
  assertThrows(() => parseBuildFlags(["--call=outline,ignore=1", "."]), UsageError, "unknown field");
  assertEquals(pick(parseBuildFlags(["--call=check,format=json", "."])), [true, false, false, "json"]);
  assertThrows(() => parseBuildFlags(["--call=build,format=json", "."]), UsageError, "check, targets and outline");
});

Deno.test("--provenance, --attest and --sbom as buildx reads them", () => {
  const prov = (...a: string[]) => parseBuildFlags([...a, "."]).provenance;
  assertEquals(prov(), undefined);
  assertEquals(prov("--provenance=true"), { mode: "min" });
  assertEquals(prov("--provenance", "false"), undefined);
  assertEquals(prov("--provenance=mode=max,builder-id=https://ci/1"), { mode: "max", builderId: "https://ci/1" });
  assertEquals(prov("--attest", "type=provenance,mode=max,version=v0.2"), { mode: "max" });
  assertEquals(prov("--provenance=true", "--attest", "type=provenance,disabled=true"), undefined);
  assertEquals(prov("--sbom=false", "--attest", "type=sbom,disabled=true"), undefined);
  assertThrows(() => prov("--sbom=true"), UsageError, "SBOM");
  assertThrows(() => prov("--attest", "type=sbom"), UsageError, "SBOM");
  assertThrows(() => prov("--provenance=mode=full"), UsageError, "use min or max");
  assertThrows(() => prov("--provenance=version=v1"), UsageError, "v0.2");
  assertThrows(() => prov("--attest", "type=vex"), UsageError, "provenance or sbom");
  assertThrows(() => prov("--attest", "type=provenance,foo=1"), UsageError, "unknown field foo");
});
