import tar from "tar-stream";
import { TsbuildError } from "../errors.ts";
import { Annotation, type Descriptor, type ImageIndex, type ImageManifest, isIndex, MediaType } from "../oci/mod.ts";

/** Where an exporter reads blobs from (the snapshotter's ContentStore satisfies it). */
export interface BlobSource {
  readStream(digest: string): ReadableStream<Uint8Array>;
  size(digest: string): Promise<number | undefined>;
}

/** An OCI layout could not be written or read; the message names the path and the blob or file at fault. */
export class OciLayoutError extends TsbuildError {}

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const MAX_JSON = 4 << 20;
const enc = new TextEncoder();

/** `blobs/<algo>/<hex>`, refusing anything that is not a digest (it becomes a path). */
export function blobPath(digest: string): string {
  if (!DIGEST.test(digest)) throw new OciLayoutError(`"${digest}" is not a sha256/sha512 digest`);
  return `blobs/${digest.replace(":", "/")}`;
}

async function readSmall(blobs: BlobSource, digest: string, what: string): Promise<Uint8Array> {
  const size = await blobs.size(digest);
  if (size === undefined) throw new OciLayoutError(`the ${what} ${digest} is not in the content store`);
  if (size > MAX_JSON) {
    throw new OciLayoutError(`the ${what} ${digest} is ${size} bytes, too large for a JSON document`);
  }
  return new Uint8Array(await new Response(blobs.readStream(digest)).arrayBuffer());
}

/** Every blob reachable from `roots` (indexes, manifests, configs, layers), each once, children before parents. */
export async function reachableBlobs(
  blobs: BlobSource,
  roots: Descriptor[],
): Promise<{ digest: string; size: number }[]> {
  const out = new Map<string, number>();
  const visit = async (d: Descriptor): Promise<void> => {
    if (out.has(d.digest)) return;
    if (isIndex(d.mediaType)) {
      const index = JSON.parse(new TextDecoder().decode(await readSmall(blobs, d.digest, "index"))) as ImageIndex;
      for (const m of index.manifests) await visit(m);
    } else if (d.mediaType === MediaType.OciManifest || d.mediaType === MediaType.DockerManifest) {
      const m = JSON.parse(new TextDecoder().decode(await readSmall(blobs, d.digest, "manifest"))) as ImageManifest;
      for (const child of [m.config, ...m.layers]) {
        const size = await blobs.size(child.digest);
        if (size === undefined) {
          // Foreign/non-distributable layers are referenced by URL and legitimately absent.
          if (child.urls?.length) continue;
          throw new OciLayoutError(
            `blob ${child.digest} (${child.mediaType}) of manifest ${d.digest} is not in the content store`,
          );
        }
        if (size !== child.size) {
          throw new OciLayoutError(`blob ${child.digest} is ${size} bytes in the store, ${child.size} in its manifest`);
        }
        out.set(child.digest, size);
      }
    }
    const size = await blobs.size(d.digest);
    if (size === undefined) throw new OciLayoutError(`${d.mediaType} ${d.digest} is not in the content store`);
    out.set(d.digest, size);
  };
  for (const r of roots) await visit(r);
  return [...out].map(([digest, size]) => ({ digest, size }));
}

/** Receives the files of a layout: a directory, or a tar written as a stream. */
export interface LayoutSink {
  addFile(name: string, bytes: Uint8Array): Promise<void>;
  addStream(name: string, size: number, stream: ReadableStream<Uint8Array>): Promise<void>;
  /** True when `name` is already there with this size (a directory being added to). */
  has(name: string, size: number): Promise<boolean>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** Writes files under `dir`, each via a temp name and a rename so a crash never leaves a truncated blob. */
export function dirSink(dir: string): LayoutSink {
  const write = async (name: string, data: ReadableStream<Uint8Array> | Uint8Array) => {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const tmp = `${path}.tmp-${crypto.randomUUID()}`;
    if (data instanceof Uint8Array) await Deno.writeFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  };
  return {
    addFile: (name, bytes) => write(name, bytes),
    addStream: (name, _size, stream) => write(name, stream),
    has: async (name, size) => (await Deno.stat(`${dir}/${name}`).catch(() => undefined))?.size === size,
    finish: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/** Streams a tar to `dest` (through a temp file renamed at the end), one entry at a time. */
export async function tarSink(dest: string): Promise<LayoutSink> {
  const tmp = `${dest}.tmp-${crypto.randomUUID()}`;
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  const pack = tar.pack();
  const writing = (async () => {
    for await (const chunk of pack) {
      const c = chunk as Uint8Array;
      for (let off = 0; off < c.length;) off += await file.write(c.subarray(off));
    }
  })();
  const dirs = new Set<string>();
  const header = (name: string, size: number) => ({ name, size, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
  const ensureDirs = async (name: string) => {
    const parts = name.split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/") + "/";
      if (dirs.has(d)) continue;
      dirs.add(d);
      await new Promise<void>((res, rej) =>
        pack.entry(
          { name: d, type: "directory", mode: 0o755, mtime: new Date(0) },
          (e?: Error | null) => (e ? rej(e) : res()),
        )
      );
    }
  };
  return {
    async addFile(name, bytes) {
      await ensureDirs(name);
      await new Promise<void>((res, rej) =>
        pack.entry(header(name, bytes.length), bytes as unknown as Buffer, (e?: Error | null) => (e ? rej(e) : res()))
      );
    },
    async addStream(name, size, stream) {
      await ensureDirs(name);
      let done!: Promise<void>;
      const entry = await new Promise<any>((res, rej) => {
        done = new Promise<void>((ok, fail) => {
          const w = pack.entry(header(name, size), (e?: Error | null) => (e ? fail(e) : ok()));
          res(w);
        });
        done.catch(rej);
      });
      let written = 0;
      for await (const chunk of stream) {
        written += chunk.length;
        if (written > size) throw new OciLayoutError(`${name} is larger than the ${size} bytes its descriptor says`);
        if (!entry.write(chunk)) await new Promise((r) => entry.once("drain", r));
      }
      if (written !== size) throw new OciLayoutError(`${name} is ${written} bytes, its descriptor says ${size}`);
      entry.end();
      await done;
    },
    has: () => Promise.resolve(false),
    async finish() {
      pack.finalize();
      await writing;
      await file.sync();
      file.close();
      await Deno.rename(tmp, dest);
    },
    async abort() {
      pack.destroy();
      await writing.catch(() => {});
      try {
        file.close();
      } catch { /* closed */ }
      await Deno.remove(tmp).catch(() => {});
    },
  };
}

/**
 * Writes an OCI image layout (image-spec image-layout.md) holding `manifests` and everything they reference, as a
 * directory (added to an existing layout: entries with the same ref name are replaced) or a tar. `refName` becomes
 * the `org.opencontainers.image.ref.name` annotation, the tag skopeo and umoci address (`oci:DIR:REF`).
 */
export async function writeOciLayout(
  dest: string,
  kind: "dir" | "tar",
  blobs: BlobSource,
  manifests: { desc: Descriptor; refName?: string }[],
): Promise<void> {
  const roots = manifests.map(({ desc, refName }) => {
    const d: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
    if (desc.platform) d.platform = desc.platform;
    const annotations = { ...desc.annotations, ...(refName ? { [Annotation.RefName]: refName } : {}) };
    if (Object.keys(annotations).length) d.annotations = annotations;
    return d;
  });
  let existing: Descriptor[] = [];
  if (kind === "dir") existing = await existingIndex(dest);
  const names = new Set(roots.map((r) => r.annotations?.[Annotation.RefName]).filter(Boolean));
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      ...existing.filter((d) => {
        const name = d.annotations?.[Annotation.RefName];
        return name ? !names.has(name) : !roots.some((r) => r.digest === d.digest);
      }),
      ...roots,
    ],
  };
  const all = await reachableBlobs(blobs, roots);
  const sink = kind === "dir" ? dirSink(dest) : await tarSink(dest);
  try {
    await writeLayout(sink, blobs, all, index);
    await sink.finish();
  } catch (e) {
    await sink.abort();
    if (e instanceof TsbuildError) throw e;
    throw new OciLayoutError(`writing the OCI layout ${dest}: ${(e as Error).message}`, { cause: e });
  }
}

/** The layout's files in the order tools expect when streaming: oci-layout first, blobs, index.json last. */
export async function writeLayout(
  sink: LayoutSink,
  blobs: BlobSource,
  all: { digest: string; size: number }[],
  index: ImageIndex,
  extra: { name: string; bytes: Uint8Array }[] = [],
): Promise<void> {
  await sink.addFile("oci-layout", enc.encode(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  for (const b of all) {
    const name = blobPath(b.digest);
    if (await sink.has(name, b.size)) continue;
    await sink.addStream(name, b.size, blobs.readStream(b.digest));
  }
  for (const f of extra) await sink.addFile(f.name, f.bytes);
  await sink.addFile("index.json", enc.encode(JSON.stringify(index)));
}

async function existingIndex(dir: string): Promise<Descriptor[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/index.json`);
  } catch {
    return [];
  }
  try {
    return (JSON.parse(text) as ImageIndex).manifests ?? [];
  } catch (e) {
    throw new OciLayoutError(`${dir}/index.json exists but is not valid JSON: ${(e as Error).message}`);
  }
}

/** A tar member's place in the archive file. */
interface TarMember {
  offset: number;
  size: number;
}

/** Offsets of the regular files of a tar (ustar, pax `path`/`size`, GNU long names), read header by header. */
async function indexTar(file: Deno.FsFile, path: string): Promise<Map<string, TarMember>> {
  const members = new Map<string, TarMember>();
  const header = new Uint8Array(512);
  const dec = new TextDecoder();
  const field = (start: number, len: number) => dec.decode(header.subarray(start, start + len)).replace(/\0.*$/s, "");
  let pos = 0;
  let paxPath: string | undefined, paxSize: number | undefined, longName: string | undefined;
  const readAt = async (buf: Uint8Array, at: number) => {
    await file.seek(at, Deno.SeekMode.Start);
    let got = 0;
    while (got < buf.length) {
      const n = await file.read(buf.subarray(got));
      if (n === null) return got;
      got += n;
    }
    return got;
  };
  for (;;) {
    if ((await readAt(header, pos)) < 512 || header.every((b) => b === 0)) break;
    const type = String.fromCharCode(header[156] || 48);
    let size = parseInt(field(124, 12).trim() || "0", 8);
    let name = field(0, 100);
    const prefix = dec.decode(header.subarray(257, 263)).startsWith("ustar") ? field(345, 155) : "";
    if (prefix) name = `${prefix}/${name}`;
    const dataAt = pos + 512;
    if (type === "x" || type === "L") {
      const data = new Uint8Array(size);
      await readAt(data, dataAt);
      if (type === "L") longName = dec.decode(data).replace(/\0.*$/s, "");
      else {
        for (const rec of dec.decode(data).split("\n")) {
          const m = /^\d+ ([^=]+)=(.*)$/s.exec(rec);
          if (m?.[1] === "path") paxPath = m[2];
          if (m?.[1] === "size") paxSize = Number(m[2]);
        }
      }
    } else if (type !== "g") {
      name = paxPath ?? longName ?? name;
      if (paxSize !== undefined) size = paxSize;
      if (type === "0" || type === "7") members.set(name.replace(/^(\.\/)+/, ""), { offset: dataAt, size });
      paxPath = paxSize = longName = undefined;
    }
    if (!Number.isFinite(size) || size < 0) throw new OciLayoutError(`${path}: corrupt tar header at byte ${pos}`);
    pos = dataAt + Math.ceil(size / 512) * 512;
  }
  return members;
}

/** `size` bytes of `path` from `offset`, read as they are consumed. */
function rangeStream(path: string, offset: number, size: number): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | undefined;
  let left = size;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!file) {
        try {
          file = await Deno.open(path, { read: true });
        } catch (e) {
          controller.error(new OciLayoutError(`cannot read ${path}: ${(e as Error).message}`, { cause: e }));
          return;
        }
        await file.seek(offset, Deno.SeekMode.Start);
      }
      if (left === 0) {
        file.close();
        controller.close();
        return;
      }
      const buf = new Uint8Array(Math.min(left, 256 << 10));
      const n = await file.read(buf);
      if (n === null) {
        file.close();
        if (left === Infinity) controller.close();
        else controller.error(new OciLayoutError(`${path}: truncated (${left} bytes missing)`));
        return;
      }
      left -= n;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      file?.close();
    },
  });
}

/**
 * Opens an OCI image layout, a directory or a tar of one. Blobs are streamed from the files (a tar is indexed once,
 * never unpacked or held in memory).
 */
export async function readOciLayout(path: string): Promise<{
  index: ImageIndex;
  readBlob(digest: string): ReadableStream<Uint8Array>;
  close(): Promise<void>;
}> {
  const stat = await Deno.stat(path).catch((e) => {
    throw new OciLayoutError(`cannot open the OCI layout ${path}: ${(e as Error).message}`, { cause: e });
  });
  let readFile: (name: string) => Promise<Uint8Array | undefined>;
  let readBlob: (digest: string) => ReadableStream<Uint8Array>;
  if (stat.isDirectory) {
    readFile = (name) => Deno.readFile(`${path}/${name}`).catch(() => undefined);
    readBlob = (digest) => rangeStream(`${path}/${blobPath(digest)}`, 0, Infinity);
  } else {
    const file = await Deno.open(path, { read: true });
    let members: Map<string, TarMember>;
    try {
      members = await indexTar(file, path);
    } finally {
      file.close();
    }
    readFile = async (name) => {
      const m = members.get(name);
      return m ? new Uint8Array(await new Response(rangeStream(path, m.offset, m.size)).arrayBuffer()) : undefined;
    };
    readBlob = (digest) => {
      const m = members.get(blobPath(digest));
      if (!m) throw new OciLayoutError(`${path}: blob ${digest} is not in the archive`);
      return rangeStream(path, m.offset, m.size);
    };
  }
  const layout = await readFile("oci-layout");
  if (!layout) throw new OciLayoutError(`${path} is not an OCI image layout: no oci-layout file`);
  const version = (JSON.parse(new TextDecoder().decode(layout)) as { imageLayoutVersion?: string }).imageLayoutVersion;
  if (version !== "1.0.0") throw new OciLayoutError(`${path}: unsupported imageLayoutVersion "${version}"`);
  const indexBytes = await readFile("index.json");
  if (!indexBytes) throw new OciLayoutError(`${path} is not an OCI image layout: no index.json`);
  let index: ImageIndex;
  try {
    index = JSON.parse(new TextDecoder().decode(indexBytes)) as ImageIndex;
  } catch (e) {
    throw new OciLayoutError(`${path}/index.json is not valid JSON: ${(e as Error).message}`);
  }
  return { index, readBlob, close: () => Promise.resolve() };
}
