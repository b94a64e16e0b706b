import {
  type Descriptor,
  formatPlatform,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  isIndex,
  isManifest,
  MediaType,
  type Platform,
  platformMatches,
} from "../oci/mod.ts";
import { startUpload, uploadSession } from "./blob_upload.ts";
import { type StreamingBlobUpload, streamingUpload } from "./streaming_upload.ts";
import { verifyingBlobStream } from "./blob_reader.ts";
import { digestOf } from "./digest.ts";
import { normalizeRegistryHost } from "./docker_config.ts";
import { RegistryError } from "./errors.ts";
import { RegistryHttp, TransientError } from "./http.ts";
import { makeReference, type Reference } from "./reference.ts";

export interface RegistryOptions {
  /** Hosts spoken to over plain HTTP when HTTPS fails (localhost, 127.0.0.1 and ::1 always are). */
  insecureRegistries?: string[];
  /** Extra PEM CA certificates to trust. */
  caFile?: string;
  /** Registry host → mirror hosts (or URLs) tried in order before it, for pulls. */
  mirrors?: Record<string, string[]>;
  /** Where docker's config.json lives (default `$DOCKER_CONFIG` or `~/.docker`). */
  dockerConfigDir?: string;
  userAgent?: string;
  /** Retries after a 5xx or a dropped connection (default 3). */
  retries?: number;
  /** The largest blob pushed in a single PUT (default 8 MiB); larger ones go up in one streamed PATCH. */
  chunkSize?: number;
  /** First retry delay in ms, doubled per retry (default 200). */
  backoffMs?: number;
}

const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.DockerManifest,
]
  .join(", ");
const MAX_MANIFEST = 4 << 20;

/** A client for the OCI distribution API (pull, push, auth, mirrors); see the module doc of `mod.ts`. */
export class RegistryClient {
  #opts: RegistryOptions;
  #http: RegistryHttp;
  #mirrors: Record<string, string[]>;
  #chunkSize: number;

  constructor(opts: RegistryOptions = {}) {
    this.#opts = opts;
    this.#http = new RegistryHttp(opts);
    this.#mirrors = opts.mirrors ?? {};
    this.#chunkSize = opts.chunkSize ?? 8 << 20;
  }

  /** Releases the HTTP client (only needed with `caFile`). */
  close(): void {
    this.#http.close();
  }

  /**
   * Checks credentials against a registry (`GET /v2/`, answering its challenge with them) as `docker login` does
   * before storing them; throws a RegistryError when the registry or its token server refuses them.
   */
  async checkCredentials(registry: string, user: string, password: string): Promise<void> {
    const host = normalizeRegistryHost(registry);
    const http = new RegistryHttp({
      ...this.#opts,
      retries: this.#opts.retries ?? 1,
      credentials: () => Promise.resolve({ username: user, password }),
    });
    try {
      const what = `logging in as ${user}`;
      const res = await http.retry(() => http.request(host, { method: "GET", path: "/v2/", scopes: [], what }));
      if (res.status === 401) {
        await res.body?.cancel();
        throw new RegistryError(`${host}: ${what}: the registry refused the username or password`, { status: 401 });
      }
      if (!res.ok) await http.fail(host, res, what);
      await res.body?.cancel();
    } finally {
      http.close();
    }
  }

  /** Hosts to pull from: mirrors first, then the origin. */
  #pullHosts(ref: Reference): string[] {
    const mirrors = (this.#mirrors[ref.registry] ?? []).map((m) => m.replace(/^https?:\/\//, "").replace(/\/+$/, ""));
    return [...mirrors, ref.registry];
  }

  /** Tries each pull host in turn; the origin's error is the one reported. */
  async #fromAnyHost<T>(ref: Reference, fn: (host: string) => Promise<T>): Promise<T> {
    const hosts = this.#pullHosts(ref);
    for (const [i, host] of hosts.entries()) {
      try {
        return await fn(host);
      } catch (e) {
        if (i === hosts.length - 1) throw e;
      }
    }
    throw new Error("unreachable");
  }

  /** A manifest request by tag or digest; any answer but 2xx becomes the registry's error. */
  async #manifestResponse(host: string, ref: Reference, method: "GET" | "HEAD", what: string): Promise<Response> {
    const res = await this.#http.request(host, {
      method,
      path: `/v2/${ref.repository}/manifests/${ref.digest ?? ref.tag}`,
      headers: { Accept: MANIFEST_ACCEPT },
      scopes: [`repository:${ref.repository}:pull`],
      what,
    });
    if (!res.ok) await this.#http.fail(host, res, what, `image not found: ${ref.familiar()}`);
    return res;
  }

  /** Manifest (or index) bytes with media type and digest; verifies digest when ref has one. */
  getManifest(ref: Reference): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const what = `pulling ${ref.toString()}`;
    return this.#fromAnyHost(ref, (host) =>
      this.#http.retry(async () => {
        const res = await this.#manifestResponse(host, ref, "GET", what);
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (bytes.length > MAX_MANIFEST) throw new RegistryError(`${host}: ${what}: manifest larger than 4 MiB`);
        const digest = await digestOf(bytes, ref.digest ?? "sha256:");
        if (ref.digest && digest !== ref.digest) {
          throw new RegistryError(`${host}: ${what}: manifest digest mismatch: got ${digest}`);
        }
        const header = res.headers.get("Docker-Content-Digest");
        const sha = !header?.startsWith("sha256:")
          ? undefined
          : digest.startsWith("sha256:")
          ? digest
          : await digestOf(bytes);
        if (sha && sha !== header) {
          throw new RegistryError(
            `${host}: ${what}: manifest digest mismatch: Docker-Content-Digest says ${header}, content is ${sha}`,
          );
        }
        let mediaType = res.headers.get("Content-Type")?.split(";")[0].trim() ?? "";
        if (!isIndex(mediaType) && !isManifest(mediaType)) {
          // Registries that serve manifests as application/json: the document's own mediaType decides.
          try {
            const doc = JSON.parse(new TextDecoder().decode(bytes)) as {
              mediaType?: string;
              manifests?: unknown;
              schemaVersion?: number;
            };
            mediaType = doc.mediaType ??
              (doc.manifests ? MediaType.OciIndex : doc.schemaVersion === 2 ? MediaType.OciManifest : mediaType);
          } catch { /* reported by the caller when parsing */ }
        }
        return { bytes, mediaType, digest };
      }));
  }

  /**
   * The digest a tag points at now, from a `HEAD` of the manifest (`Docker-Content-Digest`), as BuildKit's resolver
   * asks before reading a manifest it already holds: one small round trip instead of manifest and config. Undefined
   * when the registry does not say (some answer a HEAD without the header); errors as getManifest's.
   */
  manifestDigest(ref: Reference): Promise<string | undefined> {
    const what = `pulling ${ref.toString()}`;
    return this.#fromAnyHost(ref, (host) =>
      this.#http.retry(async () => {
        const res = await this.#manifestResponse(host, ref, "HEAD", what);
        await res.body?.cancel();
        const digest = res.headers.get("Docker-Content-Digest") ?? "";
        return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
      }));
  }

  /** Follows an index/manifest list to the platform's manifest, then fetches and verifies the config. */
  async resolveImage(ref: Reference, platform: Platform): Promise<{
    ref: Reference;
    indexDigest?: string;
    /** The index's bytes when the tag named one (kept so that the next build finds it by digest). */
    indexBytes?: Uint8Array;
    manifestDigest: string;
    manifest: ImageManifest;
    manifestBytes: Uint8Array;
    config: ImageConfig;
    configBytes: Uint8Array;
  }> {
    let m = await this.getManifest(ref);
    let indexDigest: string | undefined;
    let indexBytes: Uint8Array | undefined;
    const what = `pulling ${ref.toString()}`;
    if (isIndex(m.mediaType)) {
      const index = parseJson<ImageIndex>(m.bytes, ref.registry, what, "index");
      const pick = index.manifests.find((d) => isManifest(d.mediaType) && platformMatches(platform, d.platform));
      if (!pick) {
        const have = index.manifests.map((d) => (d.platform ? formatPlatform(d.platform) : "?")).join(", ");
        throw new RegistryError(
          `${ref.registry}: ${what}: no manifest for platform ${formatPlatform(platform)} (available: ${
            have || "none"
          })`,
        );
      }
      indexDigest = m.digest;
      indexBytes = m.bytes;
      m = await this.getManifest(makeReference(ref.registry, ref.repository, undefined, pick.digest));
    }
    if (!isManifest(m.mediaType)) {
      const why = m.mediaType.includes("v1+") || m.mediaType.includes("prettyjws")
        ? " (Docker schema 1 is not supported)"
        : "";
      throw new RegistryError(`${ref.registry}: ${what}: unsupported manifest media type "${m.mediaType}"${why}`);
    }
    const manifest = parseJson<ImageManifest>(m.bytes, ref.registry, what, "manifest");
    const configBytes = new Uint8Array(await new Response(await this.fetchBlob(ref, manifest.config)).arrayBuffer());
    const config = parseJson<ImageConfig>(configBytes, ref.registry, what, "image config");
    return {
      ref: makeReference(ref.registry, ref.repository, ref.tag, indexDigest ?? m.digest),
      indexDigest,
      indexBytes,
      manifestDigest: m.digest,
      manifest,
      manifestBytes: m.bytes,
      config,
      configBytes,
    };
  }

  /** Streams a blob, verifying size and digest (the stream errors on mismatch); resumable via Range on retry. */
  fetchBlob(ref: Reference, desc: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const what = `pulling ${ref.toString()}: blob ${desc.digest}`;
    return this.#fromAnyHost(ref, async (host) => {
      const open = async (offset: number) => {
        const res = await this.#http.request(host, {
          method: "GET",
          path: `/v2/${ref.repository}/blobs/${desc.digest}`,
          headers: offset > 0 ? { Range: `bytes=${offset}-` } : {},
          scopes: [`repository:${ref.repository}:pull`],
          what,
        });
        if (res.status !== 200 && res.status !== 206) await this.#http.fail(host, res, what, "blob not found");
        return res;
      };
      const first = await this.#http.retry(() => open(0));
      return verifyingBlobStream(this.#http, first, open, desc, `${host}: ${what}`);
    });
  }

  hasBlob(ref: Reference, digest: string): Promise<boolean> {
    return this.#hasBlob(ref.registry, ref, digest, "pull");
  }

  #hasBlob(host: string, ref: Reference, digest: string, actions: string): Promise<boolean> {
    const what = `checking blob ${digest} in ${ref.registry}/${ref.repository}`;
    return this.#http.retry(async () => {
      const res = await this.#http.request(host, {
        method: "HEAD",
        path: `/v2/${ref.repository}/blobs/${digest}`,
        scopes: [`repository:${ref.repository}:${actions}`],
        what,
      });
      await res.body?.cancel();
      if (res.ok) return true;
      if (res.status === 404) return false;
      return await this.#http.fail(host, res, what);
    });
  }

  /**
   * Uploads unless present; tries cross-repo mount from `mountFrom` repos on the same registry; monolithic PUT for
   * small blobs, one streamed PATCH for large ones; `open` may be called again for a retry.
   */
  async pushBlob(
    ref: Reference,
    desc: Descriptor,
    open: () => ReadableStream<Uint8Array> | Promise<ReadableStream<Uint8Array>>,
    opts: { mountFrom?: string[] } = {},
  ): Promise<"exists" | "mounted" | "uploaded"> {
    const host = ref.registry;
    const t = { host, repository: ref.repository, what: `pushing ${ref.toString()}` };
    if (await this.#hasBlob(host, ref, desc.digest, "pull,push")) return "exists";
    let location: string | undefined;
    for (const from of opts.mountFrom ?? []) {
      if (from === ref.repository) continue;
      const r = await this.#http.retry(() => startUpload(this.#http, t, { digest: desc.digest, from }));
      if (r.mounted) return "mounted";
      location = r.location;
      break; // the registry opened a normal upload instead; use it
    }
    await this.#http.retry(async (attempt) => {
      const loc = attempt === 0 && location
        ? location
        : await startUpload(this.#http, t).then((r) => (r as { location: string }).location);
      await uploadSession(this.#http, t, loc, desc, await open(), this.#chunkSize);
    });
    return "uploaded";
  }

  /**
   * Opens an upload of a blob whose digest is known only at its end (a layer compressed while it is pushed):
   * the POST is made now (and retried), so an unreachable or refusing registry fails here, before any work; the
   * bytes then go up in one streamed PATCH and `commit` PUTs the digest. Unlike `pushBlob` a failed stream cannot
   * be retried from here: the caller keeps the bytes (the content store) and falls back to `pushBlob`.
   */
  async openBlobUpload(ref: Reference): Promise<StreamingBlobUpload> {
    const t = { host: ref.registry, repository: ref.repository, what: `pushing ${ref.toString()}` };
    const r = await this.#http.retry(() => startUpload(this.#http, t));
    return streamingUpload(this.#http, t, (r as { location: string }).location);
  }

  /** Puts a manifest by the ref's tag (or by digest when it has none) and returns its digest. */
  async putManifest(ref: Reference, bytes: Uint8Array, mediaType: string): Promise<string> {
    const digest = await digestOf(bytes, ref.digest ?? "sha256:");
    const sha = digest.startsWith("sha256:") ? digest : await digestOf(bytes);
    const what = `pushing ${ref.toString()}`;
    if (ref.digest && ref.digest !== digest) {
      throw new RegistryError(`${ref.registry}: ${what}: manifest bytes have digest ${digest}, not the reference's`);
    }
    const host = ref.registry;
    await this.#http.retry(async () => {
      const res = await this.#http.request(host, {
        method: "PUT",
        path: `/v2/${ref.repository}/manifests/${ref.tag ?? digest}`,
        headers: { "Content-Type": mediaType },
        body: bytes,
        scopes: [`repository:${ref.repository}:pull,push`],
        what,
      });
      if (res.status !== 201 && res.status !== 200) await this.#http.fail(host, res, what);
      await res.body?.cancel();
      const header = res.headers.get("Docker-Content-Digest");
      if (header && header.startsWith("sha256:") && header !== sha) {
        throw new RegistryError(`${host}: ${what}: registry stored the manifest as ${header}, expected ${sha}`);
      }
    });
    return digest;
  }
}

function parseJson<T>(bytes: Uint8Array, host: string, what: string, kind: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new RegistryError(`${host}: ${what}: the ${kind} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

export { TransientError };
