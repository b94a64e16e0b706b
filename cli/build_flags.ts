import type { ExtraHost, Ulimit } from "../executor/mod.ts";
import { ENTITLEMENTS } from "../solver/mod.ts";
import type { ImageAnnotation, ProvenanceMode } from "../exporter/mod.ts";
import { parseArgs } from "node:util";
import { join, resolve as resolvePath } from "node:path";
import type { OutputSpec } from "../build/mod.ts";
import { type CacheExportSpec, type CacheImportSpec, parseCacheFrom, parseCacheTo } from "../cache/mod.ts";
import { parsePlatform, type Platform } from "../oci/mod.ts";
import { UsageError } from "./errors.ts";
import { parseAttestFlags } from "./attest_flags.ts";
import { isRemoteContext } from "./remote_context.ts";
import {
  annotationFlags,
  buildContexts,
  cacheSpec,
  kv,
  mirrors,
  outputAttributes,
  parseAddHost,
  parseBytes,
  parseOutput,
  parseSecret,
  parseUlimit,
} from "./flag_values.ts";

export { parseOutput, parseSecret } from "./flag_values.ts";

/** `tsbuild build` flags after parsing, before anything touches the disk. */
export interface BuildFlags {
  context: string;
  file: string;
  tags: string[];
  outputs: OutputSpec[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  buildContexts: Record<string, string>;
  target?: string;
  platform?: Platform;
  /** `--platform a,b,…`: several target platforms (a multi-platform build). */
  platforms?: Platform[];
  noCache: boolean;
  pull: boolean;
  noCacheFilter: string[];
  progress: "auto" | "tty" | "plain" | "rawjson";
  root: string;
  secrets: { id: string; src?: string; env?: string }[];
  ssh: string[];
  format: "oci" | "docker";
  compression?: { compression: "gzip" | "zstd" | "none"; level?: number };
  squash: boolean;
  sourceDateEpoch?: number;
  iidFile?: string;
  metadataFile?: string;
  print?: "json" | "dot";
  /** `--check` / `--call=check`: report the build checks, do not build. */
  check: boolean;
  /** `--call=targets`: list the stages instead of building. */
  listTargets: boolean;
  /** `--call=outline`: tell the target's build args, secrets and SSH instead of building. */
  outline: boolean;
  /** `--provenance` / `--attest type=provenance`. */
  provenance?: ProvenanceMode;
  /** `--call=NAME,format=json`. */
  callFormat?: "json";
  explain: boolean;
  maxParallelism: number;
  insecureRegistries: string[];
  registryMirrors: Record<string, string[]>;
  registryCa?: string;
  snapshotter: "auto" | "overlay" | "fuse-overlayfs" | "native";
  quiet: boolean;
  network?: "default" | "none" | "host";
  extraHosts: ExtraHost[];
  /** `--annotation` and the `annotation*.KEY=VALUE` attributes of `-o type=image|registry|oci`. */
  annotations: ImageAnnotation[];
  /** `--ulimit name=soft[:hard]` (repeatable). */
  ulimits: Ulimit[];
  /** `--shm-size`, in bytes. */
  shmSize?: number;
  /** `--allow` entitlements. */
  allow: string[];
  /** `--cache-from` (repeatable): caches other builds exported; local paths made absolute. */
  cacheFrom: CacheImportSpec[];
  /** `--cache-to` (repeatable): where this build's cache goes. */
  cacheTo: CacheExportSpec[];
}

export const BUILD_HELP = `Usage: tsbuild build [OPTIONS] PATH | -

PATH is the build context; - reads a context tar (plain, gzip, bzip2, xz) or a lone Dockerfile from stdin; a git
URL (https://host/repo.git#ref:subdir, git@host:repo.git, git://, ssh://) is fetched at that ref; another http(s)
URL is downloaded (a tar archive, or a Dockerfile with an empty context).

Build an image from a Dockerfile, rootless and without a daemon.

Options:
  -t, --tag name:tag            Name and optionally a tag (repeatable)
  -f, --file string             Name of the Dockerfile (default "PATH/Dockerfile"; "-" reads stdin)
      --build-arg k=v           Set a build-time variable (repeatable; "k" alone takes it from the environment)
      --target string           Build the named stage
      --label k=v               Set a label on the image (repeatable)
      --annotation [type:]k=v   Add an OCI annotation; type manifest (default), index or manifest-descriptor,
                                optionally with [os/arch] (repeatable; also -o type=image,annotation.k=v)
      --build-context name=v    Extra named context: a directory, docker-image://REF, oci-layout://PATH[:TAG],
                                a git URL (#ref:subdir) or an http(s) URL of a tar archive
      --platform os/arch[,...]  Target platform(s) (default: this machine's); several make one image each under
                                an index (foreign ones run RUN steps through qemu binfmt handlers)
      --push                    Push the image (same as --output type=registry)
  -o, --output spec             type=registry|image[,push=true]|oci,dest=x.tar[,tar=false]|docker,dest=x.tar|
                                local,dest=dir|tar,dest=x.tar|cacheonly, or a directory path (repeatable); images
                                also take name=, push-by-digest=true, compression=, force-compression=true
      --no-cache                Do not use the cache
      --pull                    Always look base images up in their registry, not in the local store
      --no-cache-filter stage   Do not use the cache for these stages (repeatable)
      --cache-from spec         Use an exported cache: type=local,src=DIR | type=registry,ref=REF | REF (an image
                                or cache ref; repeatable); one that cannot be read is a warning
      --cache-to spec           Export the build cache: type=local,dest=DIR | type=registry,ref=REF, each with
                                [,mode=min|max][,ignore-error=true]; or type=inline (in the image config)
      --progress mode           auto, tty, plain, rawjson or quiet (default "auto")
      --explain                 Say, for every step that ran, which input changed since the last build
      --print graph|graph-dot   Print the build graph (JSON or Graphviz DOT) and stop
      --check                   Run the build checks (Dockerfile lint) and report them without building;
                                exits 1 when they warn (same as --call=check)
      --call targets|outline    Without building: list the Dockerfile's stages (TARGET, DESCRIPTION), or what the
                                target takes (build args with values, secrets, SSH); ",format=json" for JSON
      --secret id=ID[,src=PATH|,env=VAR]   Expose a secret to RUN --mount=type=secret (repeatable)
      --ssh default|ID=PATH[,PATH]         Expose an SSH agent or keys to RUN --mount=type=ssh (repeatable)
      --format oci|docker       Manifest media types (default "oci")
      --compression name        Layer compression: gzip (default), zstd or uncompressed
      --compression-level N     gzip 0-9, zstd 1-22
      --squash                  Merge the layers this build adds into one
      --source-date-epoch N     Timestamps for reproducible images (default $SOURCE_DATE_EPOCH)
      --iidfile file            Write the image ID (config digest) to the file
      --metadata-file file      Write build result metadata (JSON) to the file
      --max-parallelism N       Steps run at once (default: number of CPUs)
      --insecure-registry host  Use plain HTTP for this registry (repeatable; loopback always is)
      --registry-mirror r=m     Pull REGISTRY's images through MIRROR first (repeatable, e.g. docker.io=mirror:5000)
      --registry-ca file        Extra CA certificate (PEM) trusted for registries
      --snapshotter name        auto, overlay, fuse-overlayfs or native (default "auto")
      --network mode            Network of RUN steps without --network: default (the host's), none or host
      --add-host host:ip        Add an entry to every RUN's /etc/hosts (repeatable)
      --ulimit name=soft[:hard] Resource limit of every RUN, e.g. nofile=1024:2048 (repeatable)
      --shm-size bytes          Size of every RUN's /dev/shm, e.g. 256m (default 64m)
      --allow entitlement       Grant security.insecure (RUN --security=insecure) or network.host (repeatable)
      --load                    Keep the image in the store under its tags (the default without --push/-o)
      --provenance true|false|mode=min|max[,builder-id=ID]
                                Attach SLSA provenance (v0.2) to the image, in an index as BuildKit does
      --attest type=provenance[,mode=min|max]   The same, buildx's long form (type=sbom is refused: no scanner)
      --root dir                Store directory (default $XDG_DATA_HOME/tsbuild)
  -q, --quiet                   Print only the image ID
`;

export function defaultStoreRoot(): string {
  const xdg = Deno.env.get("XDG_DATA_HOME");
  if (xdg) return join(xdg, "tsbuild");
  const home = Deno.env.get("HOME") ?? "/tmp";
  return join(home, ".local", "share", "tsbuild");
}

/** `tsbuild build` argv → flags, rejecting what cannot work with a usage error. */
export function parseBuildFlags(argv: string[]): BuildFlags {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tag: { type: "string", short: "t", multiple: true },
        file: { type: "string", short: "f" },
        "build-arg": { type: "string", multiple: true },
        label: { type: "string", multiple: true },
        annotation: { type: "string", multiple: true },
        "build-context": { type: "string", multiple: true },
        target: { type: "string" },
        platform: { type: "string" },
        push: { type: "boolean" },
        output: { type: "string", short: "o", multiple: true },
        "no-cache": { type: "boolean" },
        pull: { type: "boolean" },
        "no-cache-filter": { type: "string", multiple: true },
        progress: { type: "string" },
        explain: { type: "boolean" },
        print: { type: "string" },
        check: { type: "boolean" },
        call: { type: "string" },
        secret: { type: "string", multiple: true },
        ssh: { type: "string", multiple: true },
        format: { type: "string" },
        compression: { type: "string" },
        "compression-level": { type: "string" },
        squash: { type: "boolean" },
        "source-date-epoch": { type: "string" },
        iidfile: { type: "string" },
        "metadata-file": { type: "string" },
        "max-parallelism": { type: "string" },
        "insecure-registry": { type: "string", multiple: true },
        "registry-mirror": { type: "string", multiple: true },
        "registry-ca": { type: "string" },
        snapshotter: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        network: { type: "string" },
        "add-host": { type: "string", multiple: true },
        ulimit: { type: "string", multiple: true },
        "shm-size": { type: "string" },
        allow: { type: "string", multiple: true },
        load: { type: "boolean" },
        provenance: { type: "string" },
        sbom: { type: "string" },
        attest: { type: "string", multiple: true },
        // Accepted as docker build accepts them, with nothing to do here: intermediate containers are never kept.
        rm: { type: "boolean" },
        "force-rm": { type: "boolean" },
        "cache-from": { type: "string", multiple: true },
        "cache-to": { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^.*ERR_PARSE_ARGS_\w+: /, ""));
  }
  const v = parsed.values;
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      `"tsbuild build" requires exactly 1 argument (the build context), got ${parsed.positionals.length}`,
    );
  }
  // buildx's --progress=quiet is -q: no progress, the image ID on stdout.
  const quietProgress = v.progress === "quiet";
  const progress = (quietProgress ? "plain" : v.progress ?? "auto") as BuildFlags["progress"];
  if (!["auto", "tty", "plain", "rawjson"].includes(progress)) {
    throw new UsageError(`--progress ${progress}: use auto, tty, plain, rawjson or quiet`);
  }
  const attrs = outputAttributes(v.output ?? []);
  const format = (v.format ?? (attrs.ociMediaTypes === false ? "docker" : "oci")) as BuildFlags["format"];
  if (!["oci", "docker"].includes(format)) throw new UsageError(`--format ${format}: use oci or docker`);
  const snapshotter = (v.snapshotter ?? "auto") as BuildFlags["snapshotter"];
  if (!["auto", "overlay", "fuse-overlayfs", "native"].includes(snapshotter)) {
    throw new UsageError(`--snapshotter ${snapshotter}: use auto, overlay, fuse-overlayfs or native`);
  }
  let print: BuildFlags["print"];
  if (v.print !== undefined) {
    if (v.print === "graph" || v.print === "graph-json") print = "json";
    else if (v.print === "graph-dot" || v.print === "dot") print = "dot";
    else throw new UsageError(`--print ${v.print}: use graph or graph-dot`);
  }
  const call = parseCall(v.call);
  const listTargets = call.name === "targets";
  const outline = call.name === "outline";
  const check = !!v.check || call.name === "check";
  if (check && print) throw new UsageError("--check and --print cannot be used together");
  let compression: BuildFlags["compression"];
  v.compression ??= attrs.compression;
  v["compression-level"] ??= attrs.compressionLevel;
  if (v.compression !== undefined || v["compression-level"] !== undefined || attrs.forceCompression) {
    const c = v.compression ?? "gzip";
    const name = c === "uncompressed" ? "none" : c;
    if (!["gzip", "zstd", "none"].includes(name)) {
      throw new UsageError(`--compression ${c}: use gzip, zstd or uncompressed`);
    }
    const level = v["compression-level"];
    if (level !== undefined && !/^\d+$/.test(level)) {
      throw new UsageError(`--compression-level ${level}: expected a number`);
    }
    const max = name === "zstd" ? 22 : 9;
    if (level !== undefined && (Number(level) < (name === "zstd" ? 1 : 0) || Number(level) > max)) {
      throw new UsageError(`--compression-level ${level}: ${name} takes ${name === "zstd" ? 1 : 0} to ${max}`);
    }
    compression = {
      compression: name as "gzip" | "zstd" | "none",
      level: level === undefined ? undefined : Number(level),
      ...(attrs.forceCompression ? { force: true } : {}),
    };
  }
  const sde = v["source-date-epoch"] ?? Deno.env.get("SOURCE_DATE_EPOCH");
  if (sde !== undefined && sde !== "" && !/^\d+$/.test(sde)) {
    throw new UsageError(`--source-date-epoch ${sde}: expected seconds since 1970`);
  }
  const mp = v["max-parallelism"];
  if (mp !== undefined && !/^[1-9]\d*$/.test(mp)) {
    throw new UsageError(`--max-parallelism ${mp}: expected a positive number`);
  }
  const outputs = (v.output ?? []).map(parseOutput);
  if (v.push && !outputs.some((o) => o.type === "image")) outputs.push({ type: "image", push: true });
  // buildx's --load puts the image in the docker daemon's store; here the store is tsbuild's own.
  if (v.load && !outputs.some((o) => o.type === "image")) outputs.push({ type: "image", push: false });
  const provenance = parseAttestFlags(v.provenance, v.sbom, v.attest ?? []);
  const buildArgs = kv(v["build-arg"] ?? [], "--build-arg", true);
  const cacheTo = (v["cache-to"] ?? []).map((c) => cacheSpec(() => parseCacheTo(c))).map((c) =>
    c.type === "local" ? { ...c, dest: resolvePath(c.dest) } : c
  );
  // BuildKit's older spelling of --cache-to type=inline, still common in CI scripts.
  if (["1", "true"].includes(buildArgs.BUILDKIT_INLINE_CACHE ?? "") && !cacheTo.some((c) => c.type === "inline")) {
    cacheTo.push({ type: "inline" });
  }
  if (outputs.length === 0) outputs.push({ type: "image", push: false });
  let platform: Platform | undefined;
  let platforms: Platform[] | undefined;
  if (v.platform) {
    const list = v.platform.split(",").map((p) => p.trim());
    if (list.some((p) => p === "")) throw new UsageError(`--platform ${v.platform}: empty platform in the list`);
    try {
      platforms = list.map((p) => parsePlatform(p));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (platforms.length === 1) [platform, platforms] = [platforms[0], undefined];
  }
  const network = v.network;
  if (network !== undefined && !["default", "none", "host"].includes(network)) {
    throw new UsageError(`--network ${network}: use default, none or host (a build has no named networks)`);
  }
  const context = parsed.positionals[0];
  return {
    context,
    // A context read from stdin, a URL or git names its Dockerfile inside it.
    file: v.file ?? (context === "-" || isRemoteContext(context) ? "Dockerfile" : join(context, "Dockerfile")),
    tags: [...new Set([...(v.tag ?? []), ...attrs.names])],
    outputs,
    buildArgs,
    labels: kv(v.label ?? [], "--label", false),
    buildContexts: buildContexts(v["build-context"] ?? []),
    target: v.target,
    platform,
    platforms,
    noCache: !!v["no-cache"],
    pull: !!v.pull,
    noCacheFilter: v["no-cache-filter"] ?? [],
    progress,
    root: v.root ?? defaultStoreRoot(),
    secrets: (v.secret ?? []).map(parseSecret),
    ssh: v.ssh ?? [],
    format,
    compression,
    squash: !!v.squash,
    sourceDateEpoch: sde ? Number(sde) : undefined,
    iidFile: v.iidfile,
    metadataFile: v["metadata-file"],
    print,
    check,
    listTargets,
    outline,
    provenance,
    callFormat: call.format,
    explain: !!v.explain,
    maxParallelism: mp ? Number(mp) : navigator.hardwareConcurrency || 2,
    insecureRegistries: v["insecure-registry"] ?? [],
    registryMirrors: mirrors(v["registry-mirror"] ?? []),
    registryCa: v["registry-ca"],
    snapshotter,
    quiet: !!v.quiet || quietProgress,
    network: network as BuildFlags["network"],
    extraHosts: (v["add-host"] ?? []).map(parseAddHost),
    cacheFrom: (v["cache-from"] ?? []).map((c) => cacheSpec(() => parseCacheFrom(c))).map((c) =>
      c.type === "local" ? { ...c, src: resolvePath(c.src) } : c
    ),
    cacheTo,
    annotations: annotationFlags(v.annotation ?? [], v.output ?? []),
    ulimits: (v.ulimit ?? []).map(parseUlimit),
    shmSize: v["shm-size"] === undefined ? undefined : parseBytes("--shm-size", v["shm-size"]),
    allow: (v.allow ?? []).flatMap((a) => a.split(",")).map((a) => {
      if (!ENTITLEMENTS.includes(a)) throw new UsageError(`--allow ${a}: use ${ENTITLEMENTS.join(" or ")}`);
      return a;
    }),
  };
}

/** buildx's `--call` value: a name (build, check, targets, outline) and `format=json|text` fields, CSV-separated. */
function parseCall(value: string | undefined): { name: string; format?: "json" } {
  if (value === undefined || value === "") return { name: "build" };
  let name = "";
  let format: "json" | undefined;
  for (const field of value.split(",")) {
    const eq = field.indexOf("=");
    if (eq < 0) {
      if (name !== "") throw new UsageError(`--call ${value}: one name only (build, check, targets or outline)`);
      name = field.trim();
      continue;
    }
    const [k, v] = [field.slice(0, eq).trim(), field.slice(eq + 1).trim()];
    if (k !== "format") {
      throw new UsageError(`--call ${value}: unknown field ${JSON.stringify(field)} (use format=json)`);
    }
    if (v !== "json" && v !== "text") throw new UsageError(`--call ${value}: format ${v}: use json or text`);
    format = v === "json" ? "json" : undefined;
  }
  name ||= "build";
  if (!["build", "check", "targets", "outline"].includes(name)) {
    throw new UsageError(`--call ${value}: use build, check, targets or outline`);
  }
  if (format && name === "build") {
    throw new UsageError(`--call ${value}: format=json is for check, targets and outline`);
  }
  return { name, ...(format ? { format } : {}) };
}
