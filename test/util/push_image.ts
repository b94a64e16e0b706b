/** Pushes in-memory test images with tsbuild's RegistryClient (for tests of pull paths and of the client itself). */
import { assertEquals } from "./assert.ts";
import type { TestImage } from "./oci_image.ts";
import { parseReference, type RegistryClient } from "../../registry/mod.ts";

/** Pushes every blob of `img` (streamed from memory) and its manifest by digest; returns the blob outcomes. */
export async function pushTestImage(client: RegistryClient, refText: string, img: TestImage): Promise<string[]> {
  const ref = parseReference(refText);
  const how: string[] = [];
  for (const d of [...img.manifest.layers, img.manifest.config]) {
    how.push(await client.pushBlob(ref, d, () => ReadableStream.from([img.blobs.get(d.digest)!])));
  }
  const digest = await client.putManifest(
    { ...ref, tag: undefined, digest: img.desc.digest },
    img.manifestBytes,
    img.desc.mediaType,
  );
  assertEquals(digest, img.desc.digest);
  return how;
}
