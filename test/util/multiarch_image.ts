/**
 * A multi-platform busybox base for tests: the linux/amd64 and linux/arm64 busybox layouts (umoci, see
 * base_image.ts) joined under one OCI image index, written by hand here and pushed with `skopeo copy --all`, so no
 * tsbuild code makes the fixture a multi-platform build reads.
 *
 * @module
 */
import { busyboxLayout } from "./base_image.ts";
import { exists, run } from "./umoci_layout.ts";

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

/** Pushes `HOST/repo:tag` as an index of linux/amd64 and linux/arm64 busybox images; returns the reference. */
export async function pushMultiArchBusybox(registryHost: string, repo = "busybox-multi", tag = "latest"): Promise<string> {
  const amd = await busyboxLayout();
  const arm = await busyboxLayout("arm64");
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-multiarch-" });
  try {
    await Deno.mkdir(`${dir}/blobs/sha256`, { recursive: true });
    const manifests: Descriptor[] = [];
    for (const [layout, architecture] of [[amd, "amd64"], [arm, "arm64"]] as const) {
      for await (const e of Deno.readDir(`${layout.dir}/blobs/sha256`)) {
        const to = `${dir}/blobs/sha256/${e.name}`;
        if (!(await exists(to))) await Deno.copyFile(`${layout.dir}/blobs/sha256/${e.name}`, to);
      }
      const index = JSON.parse(await Deno.readTextFile(`${layout.dir}/index.json`)) as { manifests: Descriptor[] };
      const m = index.manifests.find((d) => d.annotations?.["org.opencontainers.image.ref.name"] === layout.tag)!;
      manifests.push({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { architecture, os: "linux" } });
    }
    const nested = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests,
    }));
    const hex = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", nested)), (b) => b.toString(16).padStart(2, "0")).join("");
    await Deno.writeFile(`${dir}/blobs/sha256/${hex}`, nested);
    await Deno.writeTextFile(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    await Deno.writeTextFile(`${dir}/index.json`, JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{
        mediaType: "application/vnd.oci.image.index.v1+json",
        digest: `sha256:${hex}`,
        size: nested.byteLength,
        annotations: { "org.opencontainers.image.ref.name": tag },
      }],
    }));
    const ref = `${registryHost}/${repo}:${tag}`;
    await run("skopeo", ["copy", "--quiet", "--all", "--dest-tls-verify=false", `oci:${dir}:${tag}`, `docker://${ref}`]);
    return ref;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
