import { parseArgs } from "node:util";
import { parseReference, RegistryClient } from "../registry/mod.ts";
import { login, logout } from "../registry/mod.ts";
import { UsageError } from "./errors.ts";
import { isLayoutName, openImage, openStoredImage } from "./image_source.ts";
import { ContentStore, ImageIndex } from "../snapshotter/mod.ts";
import { compressStoredImage, imageRecord } from "../exporter/mod.ts";
import { defaultStoreRoot } from "./build_flags.ts";
import { isIndex } from "../oci/mod.ts";

/** The store's record of `name`, if `name` is a reference built into the store. */
async function storedRecord(name: string, root: string) {
  try {
    return await new ImageIndex(root).get(parseReference(name).toString());
  } catch {
    return undefined;
  }
}

function humanSize(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000, i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${units[i]}`;
}

function ago(iso: string | undefined): string {
  if (!iso) return "<unknown>";
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (!Number.isFinite(s)) return "<unknown>";
  for (const [secs, unit] of [[31536000, "year"], [2592000, "month"], [604800, "week"], [86400, "day"], [3600, "hour"], [60, "minute"]] as const) {
    if (s >= secs) {
      const n = Math.floor(s / secs);
      return `${n} ${unit}${n > 1 ? "s" : ""} ago`;
    }
  }
  return "Less than a second ago";
}

// deno-lint-ignore no-explicit-any
type Flags = { values: Record<string, any>; positionals: string[] };

function flagsOf(argv: string[], extra: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {}): Flags {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: { platform: { type: "string" }, "insecure-registry": { type: "string", multiple: true }, root: { type: "string" }, ...extra } }) as Flags;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `tsbuild history IMAGE`: `docker image history`'s table, newest step first. */
export async function historyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv, { "no-trunc": { type: "boolean" }, format: { type: "string" } });
  if (positionals.length !== 1) throw new UsageError(`"tsbuild history" requires exactly 1 argument (an image)`);
  const img = await openImage(positionals[0], { platform: values.platform, insecure: values["insecure-registry"], root: values.root ?? defaultStoreRoot() });
  try {
    const layers = [...img.manifest.layers];
    const rows: string[][] = [];
    for (const h of img.config.history ?? []) {
      const size = h.empty_layer ? 0 : layers.shift()?.size ?? 0;
      rows.push(["<missing>", ago(h.created), h.created_by ?? "", humanSize(size), h.comment ?? ""]);
    }
    if (rows.length) rows[rows.length - 1][0] = img.manifest.config.digest.slice(7, 19);
    rows.reverse();
    if (values.format === "json") {
      console.log(JSON.stringify(img.config.history ?? [], null, 2));
      return 0;
    }
    const trunc = (s: string) => (values["no-trunc"] || s.length <= 45 ? s : s.slice(0, 44) + "…");
    const table = [["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"], ...rows.map((r) => [r[0], r[1], trunc(r[2]), r[3], r[4]])];
    const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
    for (const r of table) console.log(r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] + 3) : c)).join("").trimEnd());
    return 0;
  } finally {
    await img.close();
  }
}

/** `tsbuild inspect IMAGE`: manifest digest, manifest and config as JSON. */
export async function inspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv);
  if (positionals.length !== 1) throw new UsageError(`"tsbuild inspect" requires exactly 1 argument (an image)`);
  const img = await openImage(positionals[0], { platform: values.platform, insecure: values["insecure-registry"], root: values.root ?? defaultStoreRoot() });
  try {
    console.log(JSON.stringify({ name: img.name, digest: img.manifestDigest, manifest: img.manifest, config: img.config }, null, 2));
    return 0;
  } finally {
    await img.close();
  }
}

/**
 * `tsbuild push NAME [REF]` pushes an image built into the store; `tsbuild push LAYOUT_OR_TAR REF` carries an
 * exported OCI layout or archive into a registry (air-gapped sites).
 */
export async function pushCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv);
  if (positionals.length < 1 || positionals.length > 2) {
    throw new UsageError(`"tsbuild push" requires an image built with -t (and optionally a new reference), or an OCI layout (dir or .tar) and a reference`);
  }
  const [src, dest = src] = positionals;
  const target = parseReference(dest);
  const root = values.root ?? defaultStoreRoot();
  const client = new RegistryClient({ insecureRegistries: values["insecure-registry"] });
  const rec = isLayoutName(src) ? undefined : await storedRecord(src, root);
  if (rec && isIndex(rec.mediaType)) {
    const { pushStoredIndex } = await import("./push_index.ts");
    console.log(`${target.toString()}@${await pushStoredIndex(root, rec, target, client)}`);
    return 0;
  }
  const stored = isLayoutName(src) ? undefined : await openStoredImage(src, root);
  if (!stored && positionals.length === 1) throw new UsageError(`no image named ${src} in ${root}; build it with -t ${src} first`);
  const img = stored ?? await openImage(src.startsWith("oci-layout://") ? src : `oci-layout://${src}`, { platform: values.platform });
  try {
    const rec = img.record;
    if (rec?.compression) {
      // Built without --push: its layers are still the store's uncompressed tars; compress them once, and name the
      // compressed manifest from now on so the next push finds it ready.
      const out = await compressStoredImage(new ContentStore(root), img.manifest, img.config, rec.compression, {
        registry: client,
        ref: target,
        log: (m) => console.error(m),
      });
      img.manifest = out.manifest;
      img.manifestBytes = out.manifestBytes;
      await new ImageIndex(root).put(imageRecord(rec.name, out, rec.created));
    }
    await Promise.all(img.manifest.layers.map(async (l) => {
      const how = await client.pushBlob(target, l, () => img.readBlob(l.digest));
      console.error(`layer ${l.digest.slice(7, 19)}: ${how}`);
    }));
    await client.pushBlob(target, img.manifest.config, () => img.readBlob(img.manifest.config.digest));
    const digest = await client.putManifest(target, img.manifestBytes, img.manifest.mediaType ?? "application/vnd.oci.image.manifest.v1+json");
    console.log(`${target.toString()}@${digest}`);
    return 0;
  } finally {
    await img.close();
  }
}

/** `tsbuild images`: the images built into the store, like `docker images`. */
export async function imagesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv, { quiet: { type: "boolean", short: "q" } });
  if (positionals.length > 0) throw new UsageError(`"tsbuild images" takes no arguments`);
  const recs = (await new ImageIndex(values.root ?? defaultStoreRoot()).list()).sort((a, b) => a.name < b.name ? -1 : 1);
  // An image's ID is its config digest; a multi-platform image has no one config, so, as docker's containerd
  // store shows it, its ID is the index's digest.
  const id = (r: (typeof recs)[number]) => (isIndex(r.mediaType) ? r.manifestDigest : r.configDigest).slice(7, 19);
  if (values.quiet) {
    for (const r of recs) console.log(id(r));
    return 0;
  }
  const rows = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], ...recs.map((r) => {
    const ref = parseReference(r.name);
    return [ref.familiar().replace(/:[^:/]+$/, ""), ref.tag ?? "<none>", id(r), ago(r.created), humanSize(r.size)];
  })];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] + 3) : c)).join("").trimEnd());
  return 0;
}

/** `tsbuild rmi NAME...`: forgets image names (blobs stay in the store as cache). */
export async function rmiCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv);
  if (positionals.length === 0) throw new UsageError(`"tsbuild rmi" requires at least 1 argument`);
  const index = new ImageIndex(values.root ?? defaultStoreRoot());
  let code = 0;
  for (const name of positionals) {
    if (await index.remove(parseReference(name).toString())) console.log(`Untagged: ${name}`);
    else {
      console.error(`Error: No such image: ${name}`);
      code = 1;
    }
  }
  return code;
}

async function readPassword(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))).replace(/\r?\n$/, "");
}

/** `tsbuild login [-u USER] [--password-stdin | -p PASS] REGISTRY`: writes ~/.docker/config.json as docker does. */
export async function loginCommand(argv: string[]): Promise<number> {
  const { values, positionals } = flagsOf(argv, { username: { type: "string", short: "u" }, password: { type: "string", short: "p" }, "password-stdin": { type: "boolean" } });
  if (positionals.length !== 1) throw new UsageError(`"tsbuild login" requires exactly 1 argument (a registry)`);
  if (!values.username) throw new UsageError("tsbuild login: --username is required");
  const password = values["password-stdin"] ? await readPassword() : values.password as string | undefined;
  if (!password) throw new UsageError("tsbuild login: give --password-stdin (preferred) or --password");
  await new RegistryClient({ insecureRegistries: values["insecure-registry"] }).checkCredentials(positionals[0], values.username, password);
  await login(positionals[0], values.username as string, password);
  console.log("Login Succeeded");
  return 0;
}

/** `tsbuild logout REGISTRY`. */
export async function logoutCommand(argv: string[]): Promise<number> {
  const { positionals } = flagsOf(argv);
  if (positionals.length !== 1) throw new UsageError(`"tsbuild logout" requires exactly 1 argument (a registry)`);
  await logout(positionals[0]);
  console.log(`Removing login credentials for ${positionals[0]}`);
  return 0;
}
