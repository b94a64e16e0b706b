import { failSession, type UploadTarget, withDigest } from "./blob_upload.ts";
import { RegistryError } from "./errors.ts";
import type { RegistryHttp } from "./http.ts";

/**
 * An upload of a blob whose digest is not known when it starts (a layer compressed on its way out): everything
 * written to `writable` goes to the registry in one streamed PATCH as it is produced; `commit` ends that PATCH and
 * PUTs `?digest=`, which the registry checks against what it received, so a wrong digest is never committed.
 */
export interface StreamingBlobUpload {
  /** The blob's bytes; a write waits while the registry is slower (backpressure, nothing piles up in memory). */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * Ends the body (unless the writer closed `writable` already) and commits the blob as `desc` (its size must be
   * what was written).
   */
  commit(desc: { digest: string; size: number }): Promise<void>;
  /**
   * Drops the upload: the PATCH is broken off and the session deleted (best effort); nothing is committed. Resolves
   * to the PATCH's own failure when it failed first (the cause worth reporting), else undefined.
   */
  abort(reason?: unknown): Promise<unknown>;
}

/**
 * Opens the streamed PATCH of an upload session at `location` (from `startUpload`). Docker pushes layers the same
 * way: one PATCH without Content-Range carrying the whole blob, then the PUT. The token for the session's scope
 * must already be cached (the POST that opened the session got it): a stream cannot be re-sent after a 401.
 */
export function streamingUpload(http: RegistryHttp, t: UploadTarget, location: string): StreamingBlobUpload {
  const scopes = [`repository:${t.repository}:pull,push`];
  const what = `${t.what}: uploading a layer while it is compressed`;
  let sent = 0;
  let ended = false;
  let pipe!: TransformStreamDefaultController<Uint8Array>;
  const body = new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      pipe = c;
    },
    transform(chunk, c) {
      sent += chunk.byteLength;
      c.enqueue(chunk);
    },
    flush() {
      ended = true;
    },
  });
  const patched = http.request(t.host, {
    method: "PATCH",
    path: location,
    headers: { "Content-Type": "application/octet-stream" },
    body: body.readable,
    scopes,
    what,
  });
  let failure: unknown;
  // A PATCH that fails mid-body must fail the writes too, or the producer would wait on them forever.
  patched.catch((e) => {
    failure ??= e;
    try {
      pipe.error(e);
    } catch { /* already closed */ }
  });
  let settled = false;

  const discard = async () => {
    await http.request(t.host, { method: "DELETE", path: location, scopes, what }).then(
      (r) => r.body?.cancel(),
      () => {},
    );
  };

  return {
    writable: body.writable,
    async commit(desc) {
      if (settled) throw new RegistryError(`${t.host}: ${what}: the upload was already ended`);
      settled = true;
      try {
        // The writer may have closed the body already, to let the PATCH end while it finished its own work.
        if (!ended) await body.writable.close();
      } catch (e) {
        // Errored by a failed PATCH (its own error is the one to report), or still locked by a writer: either way
        // the body cannot end, so the PATCH must not be waited for.
        try {
          pipe.error(e);
        } catch { /* already errored */ }
        await patched.then((r) => r.body?.cancel(), () => {});
        await discard();
        throw failure ?? e;
      }
      const res = await patched;
      if (res.status !== 202) await failSession(http, t.host, res, what);
      await res.body?.cancel();
      location = new URL(res.headers.get("Location") ?? location, location).toString();
      if (sent !== desc.size) {
        await discard();
        throw new RegistryError(`${t.host}: ${what}: sent ${sent} bytes but the blob ${desc.digest} has ${desc.size}`);
      }
      const put = await http.request(t.host, {
        method: "PUT",
        path: withDigest(location, desc.digest),
        headers: { "Content-Type": "application/octet-stream", "Content-Length": "0" },
        scopes,
        what,
      });
      if (put.status !== 201) await failSession(http, t.host, put, what);
      await put.body?.cancel();
      const stored = put.headers.get("Docker-Content-Digest");
      if (stored && stored !== desc.digest) {
        throw new RegistryError(`${t.host}: ${what}: the registry stored ${stored}, not ${desc.digest}`);
      }
    },
    async abort(reason) {
      if (settled) return failure;
      settled = true;
      try {
        pipe.error(reason ?? new RegistryError(`${t.host}: ${what}: upload abandoned`));
      } catch { /* already errored */ }
      // The PATCH ends with the error (or had ended the stream with its own, kept in `failure`).
      const res = await patched.catch(() => undefined);
      if (res && res.status !== 202 && failure === undefined) {
        failure = await failSession(http, t.host, res, what).catch((e) => e);
      } else await res?.body?.cancel();
      await discard();
      return failure;
    },
  };
}
