import type { Descriptor } from "../oci/mod.ts";
import { hasherFor } from "./digest.ts";
import { RegistryError } from "./errors.ts";
import { type RegistryHttp, TransientError } from "./http.ts";

export interface UploadTarget {
  host: string;
  repository: string;
  /** For messages: `pushing 127.0.0.1:5000/app:1`. */
  what: string;
}

const OCTETS = "application/octet-stream";

export function withDigest(location: string, digest: string): string {
  return location + (location.includes("?") ? "&" : "?") + "digest=" + encodeURIComponent(digest);
}

/**
 * One upload session, from `location` (a 202's `Location`): a single PUT when the blob fits in one chunk, else one
 * streamed PATCH of the whole blob and a closing PUT, as docker pushes. The PATCH used to be cut into `chunkSize`
 * pieces with `Content-Range`, each copied into memory first: 512 MB took 4-5.7 s that way and 2.1-2.4 s
 * streamed, and a failed piece restarted the whole session anyway. The content is hashed on the way: a blob that
 * does not match its descriptor is never committed.
 */
export async function uploadSession(
  http: RegistryHttp,
  t: UploadTarget,
  location: string,
  desc: Descriptor,
  stream: ReadableStream<Uint8Array>,
  chunkSize: number,
): Promise<void> {
  const scopes = [`repository:${t.repository}:pull,push`];
  const hash = hasherFor(desc.digest);
  const what = `${t.what}: uploading blob ${desc.digest}`;
  let total = 0;
  let last: Uint8Array = new Uint8Array(0);
  if (desc.size <= chunkSize) {
    const parts: Uint8Array[] = [];
    try {
      for await (const c of stream) {
        hash.update(c);
        parts.push(c);
        total += c.byteLength;
        if (total > desc.size) break; // a lying stream: reported below, not read to the end
      }
    } finally {
      await stream.cancel().catch(() => {});
    }
    last = new Uint8Array(await new Blob(parts as Uint8Array<ArrayBuffer>[]).arrayBuffer());
  } else {
    const counted = stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(c, out) {
          hash.update(c);
          total += c.byteLength;
          // A stream longer than its descriptor is cut off here (reported below) rather than uploaded to the end.
          if (total > desc.size) out.terminate();
          else out.enqueue(c);
        },
      }),
    );
    const res = await http.request(t.host, {
      method: "PATCH",
      path: location,
      headers: { "Content-Type": OCTETS },
      body: counted,
      scopes,
      what,
    });
    if (res.status !== 202) await failSession(http, t.host, res, what);
    await res.body?.cancel();
    location = new URL(res.headers.get("Location") ?? location, location).toString();
  }
  const got = `${desc.digest.slice(0, desc.digest.indexOf(":"))}:${hash.digest("hex")}`;
  if (total !== desc.size || got !== desc.digest) {
    await http.request(t.host, { method: "DELETE", path: location, scopes, what }).then(
      (r) => r.body?.cancel(),
      () => {},
    );
    throw new RegistryError(
      `${what}: the local content does not match its descriptor (size ${total} vs ${desc.size}, digest ${got})`,
    );
  }
  const res = await http.request(t.host, {
    method: "PUT",
    path: withDigest(location, desc.digest),
    headers: { "Content-Type": OCTETS, "Content-Length": String(last.length) },
    body: last,
    scopes,
    what,
  });
  if (res.status !== 201) await failSession(http, t.host, res, what);
  await res.body?.cancel();
}

/**
 * A lost or desynchronised upload session (404 BLOB_UPLOAD_UNKNOWN/INVALID, 416) is worth a fresh session: it is
 * what a registry answers when a dropped connection left part of a chunk behind (the HTTP stack may even have
 * re-sent the request on its own).
 */
export async function failSession(http: RegistryHttp, host: string, res: Response, what: string): Promise<never> {
  if (res.status === 404 || res.status === 416) {
    const text = await res.text().catch(() => "");
    throw new TransientError(
      `${host}: ${what}: upload session lost (HTTP ${res.status} ${text.slice(0, 200).trim()})`,
      { status: res.status },
    );
  }
  return await http.fail(host, res, what);
}

/** `POST /v2/<name>/blobs/uploads/`, optionally as a cross-repository mount; 201 means the mount happened. */
export async function startUpload(
  http: RegistryHttp,
  t: UploadTarget,
  mount?: { digest: string; from: string },
): Promise<{ mounted: true } | { mounted: false; location: string }> {
  const scopes = [`repository:${t.repository}:pull,push`];
  let path = `/v2/${t.repository}/blobs/uploads/`;
  if (mount) {
    path += `?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
    scopes.push(`repository:${mount.from}:pull`);
  }
  const what = `${t.what}: starting blob upload`;
  const res = await http.request(t.host, { method: "POST", path, headers: { "Content-Length": "0" }, scopes, what });
  if (mount && res.status === 201) {
    await res.body?.cancel();
    return { mounted: true };
  }
  if (res.status !== 202) await http.fail(t.host, res, what);
  await res.body?.cancel();
  const loc = res.headers.get("Location");
  if (!loc) throw new RegistryError(`${t.host}: ${what}: the registry gave no upload Location`);
  return { mounted: false, location: new URL(loc, await http.base(t.host)).toString() };
}
