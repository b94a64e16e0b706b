/**
 * `--provenance` end to end, as root and as the unprivileged user: the pushed result is an index with the image and
 * its attestation manifest laid out as BuildKit lays them (platform unknown/unknown, vnd.docker.reference.*
 * annotations, an in-toto layer), read back with skopeo and plain HTTP; the statement attests the image's digest
 * and names the base image it was built from; `mode=min` leaves build-arg values out, `mode=max` has them and the
 * secret ids; a provenance image kept in the store survives `tsbuild prune` and is pushed later by `tsbuild push` as
 * it was built; push-by-digest sends the index untagged; a local output gets provenance.json about its files; an
 * SBOM is refused.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { type Json, skopeoInspect, skopeoInspectRaw } from "../util/oci_check.ts";
import { validate } from "../util/json_schema.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();
const baseDigest = (await skopeoInspect(base)).Digest as string;

const DOCKERFILE = `FROM ${base}
ARG V=1
RUN --mount=type=secret,id=tok echo "v=$V" > /v
`;

/** The index at `tag`, its image and attestation entries, and the statement (fetched over plain HTTP). */
async function attested(tag: string): Promise<{ index: Json; image: Json; att: Json; statement: Json }> {
  const index = await skopeoInspectRaw(tag);
  assertEquals(index.mediaType, "application/vnd.oci.image.index.v1+json");
  assertEquals(await validate("image-index-schema.json", index), []);
  assertEquals(index.manifests.length, 2, JSON.stringify(index));
  const [image, att] = index.manifests;
  assertEquals(image.platform, { architecture: "amd64", os: "linux" });
  assertEquals(att.platform, { architecture: "unknown", os: "unknown" });
  assertEquals(att.annotations, {
    "vnd.docker.reference.digest": image.digest,
    "vnd.docker.reference.type": "attestation-manifest",
  });
  const repo = tag.slice(0, tag.lastIndexOf(":"));
  const manifest = await skopeoInspectRaw(`${repo}@${att.digest}`);
  assertEquals(await validate("image-manifest-schema.json", manifest), []);
  assertEquals(manifest.layers.length, 1);
  assertEquals(manifest.layers[0].mediaType, "application/vnd.in-toto+json");
  assertEquals(manifest.layers[0].annotations, { "in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2" });
  const path = repo.slice(registry.host.length + 1);
  const res = await fetch(`http://${registry.host}/v2/${path}/blobs/${manifest.layers[0].digest}`);
  assertEquals(res.status, 200);
  return { index, image, att, statement: await res.json() };
}

for (const as of ["root", "user"] as const) {
  Deno.test(`provenance: an attested index, min and max, pushed now or later (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE, "tok": "s3cret" });
    const store = await makeStore(owner);
    const tsbuild = (...args: string[]) =>
      runTsbuild(["build", "--root", store, "--progress", "plain", "--secret", `id=tok,src=${ctx}/tok`, ...args], {
        as,
      });
    try {
      const minTag = `${registry.host}/prov/${as}:min`;
      const min = await tsbuild("--provenance=true", "--build-arg", "V=2", "-t", minTag, "--push", ctx);
      assertEquals(min.code, 0, min.stderr);
      const m = await attested(minTag);
      assertEquals(m.statement._type, "https://in-toto.io/Statement/v0.1");
      assertEquals(m.statement.predicateType, "https://slsa.dev/provenance/v0.2");
      assertEquals(m.statement.subject, [{
        name: `pkg:docker/${registry.host}/prov/${as}@min?platform=linux%2Famd64`,
        digest: { sha256: m.image.digest.slice(7) },
      }]);
      const p = m.statement.predicate;
      assertEquals(p.buildType, "https://mobyproject.org/buildkit@v1");
      assertEquals(p.materials, [{
        uri: `pkg:docker/${registry.host}/busybox@latest?platform=linux%2Famd64`,
        digest: { sha256: baseDigest.slice(7) },
      }]);
      assertEquals(p.invocation.configSource, { entryPoint: "Dockerfile" });
      assertEquals(p.invocation.environment, { platform: "linux/amd64" });
      // min: no build-arg values, no secret ids; the image itself is the build's (the platform image skopeo picks).
      assert(!JSON.stringify(p.invocation.parameters).includes("V"), JSON.stringify(p.invocation.parameters));
      assert(!JSON.stringify(m.statement).includes("s3cret"));
      const inspected = await skopeoInspect(minTag);
      const imageManifest = await skopeoInspectRaw(`${registry.host}/prov/${as}@${m.image.digest}`);
      assertEquals(inspected.Layers, imageManifest.layers.map((l: { digest: string }) => l.digest));
      assert(typeof p.metadata.buildStartedOn === "string" && p.metadata.completeness.parameters === false);

      // max, kept in the store, pruned around, pushed afterwards: the same index reaches the registry.
      const maxTag = `${registry.host}/prov/${as}:max`;
      const max = await tsbuild(
        "--build-arg",
        "V=3",
        "--attest",
        "type=provenance,mode=max,builder-id=https://ci.example/run/7",
        "-t",
        maxTag,
        ctx,
      );
      assertEquals(max.code, 0, max.stderr);
      // prune keeps what a stored index names: its image and attestation manifests, their configs and layers.
      const pruned = await runTsbuild(["prune", "--root", store], { as });
      assertEquals(pruned.code, 0, pruned.stderr);
      const pushed = await runTsbuild(["push", "--root", store, maxTag], { as });
      assertEquals(pushed.code, 0, pushed.stderr);
      const x = await attested(maxTag);
      const q = x.statement.predicate;
      assertEquals(q.builder, { id: "https://ci.example/run/7" });
      assertEquals(q.invocation.parameters.args, { "build-arg:V": "3" }, "max has the build args' values");
      assertEquals(q.invocation.parameters.secrets, [{ id: "tok", optional: true }]);
      assertEquals(q.metadata.completeness.parameters, true);
      const source = q.metadata["https://mobyproject.org/buildkit@v1#metadata"].source.infos[0];
      assertEquals(atob(source.data), DOCKERFILE);
      assertStringIncludes(max.stderr, "done in");

      // push-by-digest (CI's multi-platform merge pattern): the index goes up by digest, no tag is made.
      const byDigest = await tsbuild(
        "--provenance=true",
        "-o",
        `type=image,name=${registry.host}/prov/${as}-digest,push-by-digest=true,name-canonical=true,push=true`,
        "--metadata-file",
        `${store}/md.json`,
        ctx,
      );
      assertEquals(byDigest.code, 0, byDigest.stderr);
      const md = JSON.parse(await Deno.readTextFile(`${store}/md.json`));
      const pushedIndex = await skopeoInspectRaw(`${registry.host}/prov/${as}-digest@${md["containerimage.digest"]}`);
      assertEquals(pushedIndex.manifests.length, 2);
      const tags = await fetch(`http://${registry.host}/v2/prov/${as}-digest/tags/list`).then((r) => r.json());
      assertEquals(tags.tags ?? [], [], "pushed by digest only");

      // A local output gets provenance.json beside the files, about each of them (path and sha256).
      const local = await tsbuild("--provenance=true", "-o", `type=local,dest=${store}/out`, ctx);
      assertEquals(local.code, 0, local.stderr);
      const beside = JSON.parse(await Deno.readTextFile(`${store}/out/provenance.json`));
      const v = beside.subject.find((x: { name: string }) => x.name === "v");
      const vBytes = await Deno.readFile(`${store}/out/v`);
      const vHex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", vBytes))]
        .map((b) => b.toString(16).padStart(2, "0")).join("");
      assertEquals(v, { name: "v", digest: { sha256: vHex } });
      assert(beside.subject.some((x: { name: string }) => x.name === "bin/busybox"), "every file is a subject");
      assertEquals(beside.predicate.materials.length, 1);

      // An SBOM needs a scanner: refused before anything runs; --sbom=false is fine.
      const sbom = await tsbuild("--sbom=true", ctx);
      assertEquals(sbom.code, 2, sbom.stderr);
      assertStringIncludes(sbom.stderr, "SBOM");
      const off = await tsbuild(
        "--sbom=false",
        "--provenance=false",
        "-t",
        `${registry.host}/prov/${as}:off`,
        "--push",
        ctx,
      );
      assertEquals(off.code, 0, off.stderr);
      assertEquals(
        (await skopeoInspectRaw(`${registry.host}/prov/${as}:off`)).mediaType,
        "application/vnd.oci.image.manifest.v1+json",
      );
    } finally {
      await removeAll(store);
      await removeAll(ctx);
    }
  });
}

Deno.test("provenance: stop the registry", async () => {
  await registry.stop();
});
