import { assert, assertEquals } from "../test/util/assert.ts";
import { imageSubjects, provenanceStatement, purl } from "./provenance.ts";

const AMD64 = { os: "linux", architecture: "amd64" };

Deno.test("purl: BuildKit's RefToPURL (familiar name, tag version, digest qualifier, platform)", () => {
  assertEquals(purl("alpine:3.20", AMD64), "pkg:docker/alpine@3.20?platform=linux%2Famd64");
  assertEquals(purl("docker.io/user/app", AMD64), "pkg:docker/user/app@latest?platform=linux%2Famd64");
  assertEquals(purl("127.0.0.1:5000/team/app:1"), "pkg:docker/127.0.0.1:5000/team/app@1");
  const d = "sha256:" + "a".repeat(64);
  assertEquals(purl(`busybox@${d}`), `pkg:docker/busybox@${d}`);
  assertEquals(
    purl(`busybox:1@${d}`, { ...AMD64, architecture: "arm", variant: "v7" }),
    `pkg:docker/busybox@1?digest=sha256%3A${"a".repeat(64)}&platform=linux%2Farm%2Fv7`,
  );
});

Deno.test("provenance statement: min leaves build-arg and label values out, max has them and the source", () => {
  const facts = {
    dockerfile: { path: "Dockerfile.prod", source: "FROM busybox\n" },
    buildArgs: { TOKEN_HINT: "x" },
    labels: { team: "a" },
    target: "release",
    secrets: ["npmrc"],
    ssh: ["default"],
    platform: AMD64,
    materials: [{
      ref: `busybox:latest@sha256:${"b".repeat(64)}`,
      digest: `sha256:${"b".repeat(64)}`,
      platform: AMD64,
    }],
  };
  const subject = {
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: `sha256:${"c".repeat(64)}`,
    size: 1,
  };
  // deno-lint-ignore no-explicit-any
  const min = provenanceStatement(imageSubjects(subject, [], AMD64), facts, { mode: "min" }) as any;
  assertEquals(min.subject, [{ name: "_", digest: { sha256: "c".repeat(64) } }]);
  assertEquals(min.predicate.invocation.parameters.args, { filename: "Dockerfile.prod", target: "release" });
  assertEquals(min.predicate.materials[0].uri, "pkg:docker/busybox@latest?platform=linux%2Famd64");
  assert(!("secrets" in min.predicate.invocation.parameters));
  assertEquals(min.predicate.metadata["https://mobyproject.org/buildkit@v1#metadata"], {});
  assert(!("buildStartedOn" in min.predicate.metadata), "no timestamps given, none written");
  // deno-lint-ignore no-explicit-any
  const max = provenanceStatement(imageSubjects(subject, ["r.example/app:1"], AMD64), facts, {
    mode: "max",
    builderId: "ci",
  }) as any;
  assertEquals(max.subject[0].name, "pkg:docker/r.example/app@1?platform=linux%2Famd64");
  assertEquals(max.predicate.builder, { id: "ci" });
  assertEquals(max.predicate.invocation.parameters.args, {
    "build-arg:TOKEN_HINT": "x",
    "label:team": "a",
    filename: "Dockerfile.prod",
    target: "release",
  });
  assertEquals(max.predicate.invocation.parameters.secrets, [{ id: "npmrc", optional: true }]);
  assertEquals(max.predicate.invocation.parameters.ssh, [{ id: "default", optional: true }]);
});
