/**
 * Builds OCI layer blobs in tests from a list of tar entries (with tar-stream, as a registry would serve them), and
 * reads a layer blob back into its entries.
 */
import tar from "tar-stream";
import { concatBytes } from "../../snapshotter/file_chunks.ts";

/** One entry to put in a test layer; `data` is the file content. */
export interface TestEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "fifo";
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  data?: string;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

/** The uncompressed tar bytes of `entries`. */
export async function tarBytes(entries: TestEntry[]): Promise<Uint8Array> {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Uint8Array);
  })();
  for (const e of entries) {
    const data = e.data ?? "";
    await new Promise<void>((res, rej) =>
      pack.entry(
        {
          name: e.name,
          type: e.type ?? "file",
          mode: e.mode ?? (e.type === "directory" ? 0o755 : 0o644),
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: e.mtime ?? new Date(1_600_000_000_000),
          linkname: e.linkname,
          devmajor: e.devmajor,
          devminor: e.devminor,
          pax: e.pax,
        },
        (e.type ?? "file") === "file" ? data : "",
        (err) => (err ? rej(err) : res()),
      ) as unknown
    );
  }
  pack.finalize();
  await done;
  return concatBytes(chunks);
}

/** gzip of `data` via CompressionStream, as a registry blob would be. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const s = ReadableStream.from([data]).pipeThrough(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** Headers (and file contents) of a gzip or plain layer tar. */
export async function readLayer(
  blob: Uint8Array,
): Promise<
  {
    name: string;
    type: string;
    linkname: string | null;
    mode: number;
    uid: number;
    gid: number;
    mtime: number;
    data: string;
    pax: Record<string, string> | null;
  }[]
> {
  let bytes = blob;
  if (blob[0] === 0x1f && blob[1] === 0x8b) {
    const s = ReadableStream.from([blob]).pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    bytes = new Uint8Array(await new Response(s).arrayBuffer());
  }
  const extract = tar.extract();
  extract.end(bytes);
  const out = [];
  for await (const entry of extract) {
    const parts: Uint8Array[] = [];
    for await (const c of entry) parts.push(c as Uint8Array);
    const h = entry.header;
    out.push({
      name: h.name,
      type: h.type,
      linkname: h.linkname,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime.getTime() / 1000,
      data: new TextDecoder().decode(concatBytes(parts)),
      pax: h.pax as Record<string, string> | null,
    });
  }
  return out;
}
