import { assertEquals, assertRejects } from "../test/util/assert.ts";
import { makeTestImage } from "../test/util/oci_image.ts";
import { ContentStore } from "../snapshotter/content_store.ts";
import { writeDockerArchive } from "./docker_archive.ts";
import { OciLayoutError } from "./oci_layout.ts";

const dec = new TextDecoder();

async function tool(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

for (const format of ["docker", "oci"] as const) {
  Deno.test(`docker archive of a ${format} image: manifest.json for docker load, readable by skopeo as docker-archive (and oci-archive)`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "tsbuild-archive-" });
    try {
      const img = await makeTestImage({ format, layers: [[{ name: "a", data: "1" }], [{ name: "b", data: "2" }]] });
      const store = new ContentStore(`${tmp}/store`);
      for (const [d, b] of img.blobs) if (d !== img.manifest.config.digest) await store.writeBytes(b);
      const dest = `${tmp}/image.tar`;
      await writeDockerArchive(dest, store, {
        manifest: img.manifest,
        config: img.configBytes,
        tags: ["myapp:1", "localhost:5000/team/app:2"],
      });

      await Deno.mkdir(`${tmp}/x`);
      await tool("tar", ["-xf", dest, "-C", `${tmp}/x`]);
      const manifest = JSON.parse(await Deno.readTextFile(`${tmp}/x/manifest.json`));
      assertEquals(manifest, [{
        Config: `blobs/sha256/${img.manifest.config.digest.slice(7)}`,
        RepoTags: ["myapp:1", "localhost:5000/team/app:2"],
        Layers: img.manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`),
      }]);

      // skopeo's docker-archive reader is docker load's format check; its diff IDs come from the config.
      const viaDocker = JSON.parse(await tool("skopeo", ["inspect", `docker-archive:${dest}:myapp:1`]));
      assertEquals(viaDocker.Layers.length, 2);
      // skopeo finds images in a docker archive by the RepoTags of manifest.json, so an unknown tag must fail.
      await assertRejects(() => tool("skopeo", ["inspect", `docker-archive:${dest}:other:1`]), Error, "other:1");
      const config = JSON.parse(
        await tool("skopeo", ["inspect", "--config", `docker-archive:${dest}:localhost:5000/team/app:2`]),
      );
      assertEquals(config.rootfs.diff_ids, img.config.rootfs.diff_ids);
      // containers/image's OCI reader only takes OCI media types; the index is still valid OCI for Docker ones.
      if (format === "oci") {
        const viaOci = JSON.parse(await tool("skopeo", ["inspect", `oci-archive:${dest}:1`]));
        assertEquals(viaOci.Layers, img.manifest.layers.map((l: { digest: string }) => l.digest));
      }

      const wrong = new TextEncoder().encode("{}");
      await assertRejects(
        () => writeDockerArchive(`${tmp}/bad.tar`, store, { manifest: img.manifest, config: wrong, tags: [] }),
        OciLayoutError,
        "the manifest names",
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}
