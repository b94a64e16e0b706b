import type { Credentials } from "./docker_config.ts";
import { RegistryError } from "./errors.ts";
import type { HttpTransport } from "./transport.ts";

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: "basic" | "bearer";
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted values may hold commas) or `Basic realm="…"`. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme !== "basic" && scheme !== "bearer") return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  }
  return { scheme, params };
}

export type CredentialLookup = (registry: string) => Promise<Credentials | undefined>;

function basic(user: string, password: string): string {
  return "Basic " + btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)));
}

/**
 * Answers registry challenges: Basic with stored credentials, Bearer by asking the token server (anonymously when
 * there are no credentials). Tokens are cached per host and scope set, so a push asks once per repository.
 */
export class Authenticator {
  #transport: HttpTransport;
  #lookup: CredentialLookup;
  #userAgent: string;
  #challenges = new Map<string, Challenge>();
  #headers = new Map<string, Promise<string | undefined>>();

  constructor(transport: HttpTransport, lookup: CredentialLookup, userAgent: string) {
    this.#transport = transport;
    this.#lookup = lookup;
    this.#userAgent = userAgent;
  }

  /** The Authorization header to send, if this host has challenged before (undefined: try anonymously). */
  cached(host: string, scopes: string[]): Promise<string | undefined> {
    const challenge = this.#challenges.get(host);
    if (!challenge) return Promise.resolve(undefined);
    const key = this.#key(host, challenge, scopes);
    let h = this.#headers.get(key);
    if (!h) {
      h = this.#obtain(host, challenge, scopes);
      this.#headers.set(key, h);
      h.catch(() => this.#headers.delete(key));
    }
    return h;
  }

  /** Records a 401's challenge and returns a fresh header for the scopes (never a cached one: that just failed). */
  async answer(host: string, header: string | null, scopes: string[]): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    if (!challenge) return undefined;
    this.#challenges.set(host, challenge);
    this.#headers.delete(this.#key(host, challenge, scopes));
    return await this.cached(host, scopes);
  }

  #key(host: string, c: Challenge, scopes: string[]): string {
    return c.scheme === "basic" ? `${host}|basic` : `${host}|${[...scopes].sort().join(" ")}`;
  }

  async #obtain(host: string, c: Challenge, scopes: string[]): Promise<string | undefined> {
    const creds = await this.#lookup(host);
    if (c.scheme === "basic") {
      if (!creds?.username) return undefined;
      return basic(creds.username, creds.password ?? "");
    }
    const realm = c.params.realm;
    if (!realm) throw new RegistryError(`${host}: the registry's Bearer challenge names no token realm`);
    const url = new URL(realm);
    const headers = new Headers({ "User-Agent": this.#userAgent });
    let init: RequestInit;
    if (creds?.identityToken) {
      // docker's OAuth2 refresh-token flow (identitytoken in config.json).
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: creds.identityToken,
        client_id: "tsbuild",
      });
      if (c.params.service) form.set("service", c.params.service);
      if (scopes.length) form.set("scope", scopes.join(" "));
      headers.set("Content-Type", "application/x-www-form-urlencoded");
      init = { method: "POST", headers, body: form.toString() };
    } else {
      if (c.params.service) url.searchParams.set("service", c.params.service);
      for (const s of scopes) url.searchParams.append("scope", s);
      if (creds?.username) {
        headers.set("Authorization", basic(creds.username, creds.password ?? ""));
        url.searchParams.set("account", creds.username);
      }
      init = { method: "GET", headers };
    }
    let res: Response;
    try {
      res = await this.#transport.fetch(url.toString(), init);
    } catch (e) {
      throw new RegistryError(`${host}: cannot reach the token server ${url.origin}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    if (!res.ok) {
      const body = (await res.text()).slice(0, 300);
      const hint = res.status === 401 || res.status === 403
        ? creds
          ? ` (stored credentials rejected; run \`tsbuild login ${host}\` again)`
          : ` (run \`tsbuild login ${host}\`)`
        : "";
      throw new RegistryError(
        `${host}: token server ${url.origin} refused a token: HTTP ${res.status} ${body}${hint}`,
        {
          status: res.status,
        },
      );
    }
    const json = await res.json() as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new RegistryError(`${host}: token server ${url.origin} answered without a token`);
    return `Bearer ${token}`;
  }
}
