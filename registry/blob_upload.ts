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
 * One upload session, from `location` (a 202's `Location`): a single PUT when the blob fits in one chunk, else
 * PATCHes of `chunkSize` bytes with `Content-Range` and a closing PUT. Only one chunk is held in memory at a time.
 * The content is hashed on the way: a blob that does not match its descriptor is never committed.
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
  const reader = stream.getReader();
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let sent = 0;
  let done = false;
  const what = `${t.what}: uploading blob ${desc.digest}`;
  try {
    // Fill one chunk, or what is left of the stream.
    const fill = async () => {
      while (!done && pendingBytes < chunkSize) {
        const r = await reader.read();
        if (r.done) done = true;
        else {
          hash.update(r.value);
          pending.push(r.value);
          pendingBytes += r.value.length;
        }
      }
      const take = Math.min(pendingBytes, chunkSize);
      const out = new Uint8Array(take);
      let off = 0;
      while (off < take) {
        const head = pending[0];
        const n = Math.min(head.length, take - off);
        out.set(head.subarray(0, n), off);
        off += n;
        if (n === head.length) pending.shift();
        else pending[0] = head.subarray(n);
      }
      pendingBytes -= take;
      return out;
    };
    let chunk = await fill();
    const last = () => done && pendingBytes === 0;
    while (!last()) {
      const res = await http.request(t.host, {
        method: "PATCH",
        path: location,
        headers: {
          "Content-Type": OCTETS,
          "Content-Range": `${sent}-${sent + chunk.length - 1}`,
          "Content-Length": String(chunk.length),
        },
        body: chunk,
        scopes,
        what,
      });
      if (res.status !== 202) await failSession(http, t.host, res, what);
      await res.body?.cancel();
      location = new URL(res.headers.get("Location") ?? location, location).toString();
      sent += chunk.length;
      chunk = await fill();
    }
    const total = sent + chunk.length;
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
      headers: { "Content-Type": OCTETS, "Content-Length": String(chunk.length) },
      body: chunk,
      scopes,
      what,
    });
    if (res.status !== 201) await failSession(http, t.host, res, what);
    await res.body?.cancel();
  } finally {
    await reader.cancel().catch(() => {});
  }
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
