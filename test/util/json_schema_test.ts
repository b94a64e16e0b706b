import { assert, assertEquals } from "./assert.ts";
import { validate } from "./json_schema.ts";

// The validator must reject what the spec rejects, or schema checks elsewhere prove nothing.
Deno.test("json_schema accepts a valid manifest and reports each violation of invalid ones", async () => {
  const good = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: "sha256:" + "a".repeat(64), size: 2 },
    layers: [{
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: "sha256:" + "b".repeat(64),
      size: 3,
      annotations: { k: "v" },
    }],
  };
  assertEquals(await validate("image-manifest-schema.json", good), []);
  const bad = structuredClone(good) as any;
  bad.schemaVersion = 1;
  bad.layers[0].digest = "nodigest";
  bad.layers[0].annotations.k = 5;
  delete bad.config.size;
  const errs = await validate("image-manifest-schema.json", bad);
  assert(errs.some((e) => e.includes("$.schemaVersion")), errs.join("\n"));
  assert(errs.some((e) => e.includes("$.layers[0].digest")), errs.join("\n"));
  assert(errs.some((e) => e.includes("$.layers[0].annotations.k")), errs.join("\n"));
  assert(errs.some((e) => e.includes('missing required "size"')), errs.join("\n"));
  assertEquals(await validate("image-layout-schema.json", { imageLayoutVersion: "1.0.0" }), []);
  assertEquals((await validate("image-layout-schema.json", { imageLayoutVersion: "2" })).length, 1);
  assert(
    (await validate("config-schema.json", {
      architecture: "amd64",
      os: "linux",
      created: "yesterday",
      rootfs: { type: "layers", diff_ids: [] },
    }))
      .some((e) => e.includes("date-time")),
  );
});
