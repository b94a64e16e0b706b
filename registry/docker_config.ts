import { DOCKER_HUB } from "./reference.ts";
import { RegistryError } from "./errors.ts";

/** Credentials for one registry: a user/password pair or an identity (refresh) token. */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

/** The key docker uses for Docker Hub in `auths` and credential helpers. */
const HUB_KEY = "https://index.docker.io/v1/";

/** `$DOCKER_CONFIG`, else `~/.docker`, unless the caller names a dir. */
export function dockerConfigDir(dir?: string): string {
  return dir ?? Deno.env.get("DOCKER_CONFIG") ?? `${Deno.env.get("HOME") ?? "/root"}/.docker`;
}

async function readConfig(dir: string): Promise<DockerConfigFile> {
  const path = `${dir}/config.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw new RegistryError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch (e) {
    throw new RegistryError(`${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** The host a user may name in several ways (`https://index.docker.io/v1/`, `index.docker.io`, `docker.io`). */
export function normalizeRegistryHost(registry: string): string {
  const host = registry.trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return ["index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"].includes(host) ? DOCKER_HUB : host;
}

/** Docker's server-address key for a registry host. */
function configKey(registry: string): string {
  return registry === DOCKER_HUB ? HUB_KEY : registry;
}

/** Keys an `auths` entry may have been written under (old docker versions stored full URLs). */
function matchesHost(key: string, registry: string): boolean {
  const host = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (registry === DOCKER_HUB) return ["index.docker.io", "docker.io", "registry-1.docker.io"].includes(host);
  return host === registry;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin, as docker does. */
async function credentialHelper(helper: string, action: string, input: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  let out: Deno.CommandOutput;
  try {
    const child = new Deno.Command(program, { args: [action], stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
    out = await child.output();
  } catch (e) {
    throw new RegistryError(`credential helper ${program} could not be run: ${(e as Error).message}`, { cause: e });
  }
  const stdout = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    const msg = stdout || new TextDecoder().decode(out.stderr).trim();
    if (/credentials not found/i.test(msg)) return "";
    throw new RegistryError(`credential helper ${program} ${action} failed: ${msg}`);
  }
  return stdout;
}

/** Looks a registry's credentials up in docker's config (credHelpers, then credsStore, then `auths`). */
export async function getCredentials(registry: string, dir?: string): Promise<Credentials | undefined> {
  registry = normalizeRegistryHost(registry);
  const cfg = await readConfig(dockerConfigDir(dir));
  const key = configKey(registry);
  const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[registry] ?? cfg.credsStore;
  if (helper) {
    const out = await credentialHelper(helper, "get", key);
    if (out) {
      const { Username, Secret } = JSON.parse(out) as { Username?: string; Secret?: string };
      // docker's convention: the username "<token>" marks an identity token.
      if (Username === "<token>") return { identityToken: Secret };
      if (Username || Secret) return { username: Username, password: Secret };
    }
    if (cfg.credHelpers?.[key] ?? cfg.credHelpers?.[registry]) return undefined;
  }
  const entry = Object.entries(cfg.auths ?? {}).find(([k]) => k === key || matchesHost(k, registry))?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (entry.auth) {
    const decoded = new TextDecoder().decode(Uint8Array.from(atob(entry.auth), (c) => c.charCodeAt(0)));
    const i = decoded.indexOf(":");
    if (i < 0) {
      throw new RegistryError(`the auth entry for ${key} in docker's config.json is not base64 "user:password"`);
    }
    return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  if (entry.username) return { username: entry.username, password: entry.password };
  return undefined;
}

async function writeConfig(dir: string, cfg: DockerConfigFile): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = `${dir}/config.json`;
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  // The file holds passwords: 0600, written aside and renamed so a crash never leaves it half-written.
  await Deno.writeTextFile(tmp, JSON.stringify(cfg, null, "\t") + "\n", { mode: 0o600 });
  await Deno.rename(tmp, path);
}

/**
 * Stores credentials where docker would: the registry's credential helper or `credsStore` if configured, else a
 * base64 `auth` entry in `config.json`. Does not contact the registry.
 */
export async function login(
  registry: string,
  user: string,
  password: string,
  opts: { dir?: string } = {},
): Promise<void> {
  registry = normalizeRegistryHost(registry);
  const dir = dockerConfigDir(opts.dir);
  const cfg = await readConfig(dir);
  const key = configKey(registry);
  const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[registry] ?? cfg.credsStore;
  cfg.auths ??= {};
  if (helper) {
    await credentialHelper(helper, "store", JSON.stringify({ ServerURL: key, Username: user, Secret: password }));
    cfg.auths[key] = {};
  } else {
    cfg.auths[key] = { auth: btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`))) };
  }
  await writeConfig(dir, cfg);
}

/** Removes stored credentials (from the helper too); true when there was something to remove. */
export async function logout(registry: string, opts: { dir?: string } = {}): Promise<boolean> {
  registry = normalizeRegistryHost(registry);
  const dir = dockerConfigDir(opts.dir);
  const cfg = await readConfig(dir);
  const key = configKey(registry);
  const helper = cfg.credHelpers?.[key] ?? cfg.credHelpers?.[registry] ?? cfg.credsStore;
  let removed = false;
  if (helper) {
    await credentialHelper(helper, "erase", key).then(() => (removed = true), () => {});
  }
  for (const k of Object.keys(cfg.auths ?? {})) {
    if (k === key || matchesHost(k, registry)) {
      delete cfg.auths![k];
      removed = true;
    }
  }
  if (removed) await writeConfig(dir, cfg);
  return removed;
}
