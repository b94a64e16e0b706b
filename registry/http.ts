import { Authenticator } from "./auth.ts";
import { type Credentials, getCredentials } from "./docker_config.ts";
import { RegistryError } from "./errors.ts";
import { DOCKER_HUB } from "./reference.ts";
import { createTransport, type HttpTransport } from "./transport.ts";

/** A failure worth retrying: a 5xx/429 answer or a dropped/refused connection. */
export class TransientError extends RegistryError {}

export interface HttpOptions {
  insecureRegistries?: string[];
  caFile?: string;
  dockerConfigDir?: string;
  userAgent?: string;
  retries?: number;
  /** First retry delay in ms (doubled per attempt); tests make it small. */
  backoffMs?: number;
  /** Overrides docker's config as the source of credentials (to check a login before storing it). */
  credentials?: (host: string) => Promise<Credentials | undefined>;
}

export interface RequestSpec {
  method: string;
  /** Path under the registry (`/v2/...`) or an absolute URL from a `Location` header. */
  path: string;
  headers?: Record<string, string>;
  /** A stream body is sent once (chunked): a 401 to it is returned as it is, not answered and re-sent. */
  body?: Uint8Array | string | ReadableStream<Uint8Array>;
  /** Token scopes, e.g. `repository:library/busybox:pull`. */
  scopes: string[];
  /** What we were doing, for messages: `pulling docker.io/library/busybox:latest`. */
  what: string;
}

const LOCAL = /^(localhost|127(?:\.\d+){3}|\[::1\]|::1)(:\d+)?$/;

/**
 * Registry HTTP plumbing: picks https or http per host, answers auth challenges, maps failures to RegistryErrors
 * that say which registry, what operation and why, and retries transient failures with exponential backoff.
 */
export class RegistryHttp {
  readonly retries: number;
  readonly userAgent: string;
  #opts: HttpOptions;
  #transport: HttpTransport;
  #auth: Authenticator;
  #bases = new Map<string, Promise<string>>();

  constructor(opts: HttpOptions = {}) {
    this.#opts = opts;
    this.retries = opts.retries ?? 3;
    this.userAgent = opts.userAgent ?? "tsbuild/0.1";
    this.#transport = createTransport({ caFile: opts.caFile });
    this.#auth = new Authenticator(
      this.#transport,
      opts.credentials ?? ((h) => getCredentials(h, opts.dockerConfigDir)),
      this.userAgent,
    );
  }

  close(): void {
    this.#transport.close();
  }

  /** `scheme://host` for API calls; Docker Hub's API lives on registry-1.docker.io. */
  base(host: string): Promise<string> {
    let b = this.#bases.get(host);
    if (!b) {
      b = this.#probe(host);
      this.#bases.set(host, b);
      b.catch(() => this.#bases.delete(host));
    }
    return b;
  }

  async #probe(host: string): Promise<string> {
    const apiHost = host === DOCKER_HUB ? "registry-1.docker.io" : host;
    const insecure = LOCAL.test(host) || (this.#opts.insecureRegistries ?? []).includes(host);
    if (!insecure) return `https://${apiHost}`;
    // Docker tries HTTPS first and falls back to plain HTTP; asking plain HTTP first finds the same answer (a TLS
    // server answers it with a 400 "HTTP request to an HTTPS server", or drops it) without a failed TLS handshake,
    // which cost 50 ms of every build against a local registry.
    let plainError: Error | undefined;
    try {
      const res = await this.#transport.fetch(`http://${apiHost}/v2/`, {
        method: "GET",
        headers: { "User-Agent": this.userAgent },
      });
      const text = await res.text();
      if (!(res.status === 400 && /HTTPS server/i.test(text))) return `http://${apiHost}`;
    } catch (e) {
      plainError = e as Error;
    }
    try {
      const res = await this.#transport.fetch(`https://${apiHost}/v2/`, {
        method: "GET",
        headers: { "User-Agent": this.userAgent },
      });
      await res.body?.cancel();
      return `https://${apiHost}`;
    } catch (e) {
      // Plain HTTP was refused outright too: let the real request report the unreachable registry.
      if (plainError) return `http://${apiHost}`;
      // It speaks HTTPS but the TLS connection failed: report the certificate problem rather than the 400.
      throw new RegistryError(
        `${host}: the registry speaks HTTPS but the TLS connection failed (${(e as Error).message}); ` +
          `trust its CA with the CA file option`,
        { cause: e },
      );
    }
  }

  /** One request, authenticated (answering at most one 401 challenge); network failures become TransientErrors. */
  async request(host: string, spec: RequestSpec): Promise<Response> {
    const url = spec.path.startsWith("http://") || spec.path.startsWith("https://")
      ? spec.path
      : (await this.base(host)) + spec.path;
    const send = async (authorization: string | undefined) => {
      const headers = new Headers({ "User-Agent": this.userAgent, ...spec.headers });
      if (authorization) headers.set("Authorization", authorization);
      try {
        return await this.#transport.fetch(url, {
          method: spec.method,
          headers,
          body: spec.body as BodyInit | undefined,
        });
      } catch (e) {
        throw new TransientError(
          `${host}: ${spec.what}: registry unreachable (${spec.method} ${new URL(url).pathname}): ${
            (e as Error).message
          }`,
          {
            cause: e,
          },
        );
      }
    };
    let res = await send(await this.#auth.cached(host, spec.scopes));
    if (res.status === 401 && !(spec.body instanceof ReadableStream)) {
      const challenge = res.headers.get("WWW-Authenticate");
      await res.body?.cancel();
      const authorization = await this.#auth.answer(host, challenge, spec.scopes);
      if (authorization) res = await send(authorization);
      else res = new Response(null, { status: 401 });
    }
    return res;
  }

  /** Turns a non-2xx answer into the error the user should read (and consumes its body). */
  async fail(host: string, res: Response, what: string, notFound?: string): Promise<never> {
    const text = await res.text().catch(() => "");
    let detail = text.slice(0, 300).trim();
    try {
      const errs = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors;
      if (errs?.length) detail = errs.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
    } catch { /* not a registry error body */ }
    const status = res.status;
    let msg: string;
    if (status === 401) msg = `authentication required (run \`tsbuild login ${host}\`)`;
    else if (status === 403) {
      msg = `access denied${detail ? ": " + detail : ""} (check the credentials from \`tsbuild login ${host}\`)`;
    } else if (status === 404 && notFound) msg = notFound;
    else msg = `HTTP ${status}${detail ? ": " + detail : ""}`;
    const Err = status >= 500 || status === 429 ? TransientError : RegistryError;
    throw new Err(`${host}: ${what}: ${msg}`, { status });
  }

  /** Runs `fn` again on TransientErrors, waiting backoff·2^n between tries; the final error says how many tries. */
  async retry<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await fn(attempt);
      } catch (e) {
        if (!(e instanceof TransientError)) throw e;
        if (attempt >= this.retries) {
          throw new RegistryError(`${e.message} (gave up after ${attempt + 1} attempts)`, {
            cause: e,
            status: e.status,
          });
        }
        await this.sleep(attempt);
      }
    }
  }

  sleep(attempt: number): Promise<void> {
    const ms = Math.min((this.#opts.backoffMs ?? 200) * 2 ** attempt, 5000);
    return new Promise((r) => setTimeout(r, ms));
  }
}
