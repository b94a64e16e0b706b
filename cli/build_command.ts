import { build } from "../build/mod.ts";
import { createProgress } from "../progress/mod.ts";
import { TsbuildError } from "../errors.ts";
import { parseBuildFlags } from "./build_flags.ts";
import { parseSshSpec } from "../ssh/spec.ts";
import { type StdinContext, stdinContext } from "./stdin_context.ts";
import { isRemoteContext, remoteContext } from "./remote_context.ts";

/** Reads all of stdin (for `-f -`). */
async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of Deno.stdin.readable) chunks.push(c);
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/** `tsbuild build`: flags → BuildRequest → build(), progress on stderr, the image id on stdout. */
export async function buildCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const flags = parseBuildFlags(argv);
  const enc = new TextEncoder();
  const write = (s: string) => {
    if (!flags.quiet) Deno.stderr.writeSync(enc.encode(s));
  };
  const progress = createProgress(flags.progress, write, Deno.stderr.isTerminal());
  const secrets = new Map<string, Uint8Array>();
  for (const s of flags.secrets) {
    if (s.env !== undefined) {
      const v = Deno.env.get(s.env);
      if (v === undefined) throw new TsbuildError(`--secret id=${s.id}: environment variable ${s.env} is not set`);
      secrets.set(s.id, enc.encode(v));
    } else {
      try {
        secrets.set(s.id, await Deno.readFile(s.src!));
      } catch (e) {
        throw new TsbuildError(`--secret id=${s.id}: cannot read ${s.src}: ${(e as Error).message}`);
      }
    }
  }
  // Contexts read from stdin, downloaded or fetched with git: temporary dirs removed after the build.
  const temporaries: StdinContext[] = [];
  const keepGitDir = ["1", "true"].includes(flags.buildArgs.BUILDKIT_CONTEXT_KEEP_GIT_DIR ?? "");
  const t0 = performance.now();
  try {
    const temporary = flags.context === "-"
      ? await stdinContext(flags.file)
      : isRemoteContext(flags.context)
      ? await remoteContext(flags.context, flags.file, { keepGitDir, signal })
      : undefined;
    if (temporary) temporaries.push(temporary);
    const buildContexts = { ...flags.buildContexts };
    for (const [name, value] of Object.entries(buildContexts)) {
      if (!isRemoteContext(value)) continue;
      const fetched = await remoteContext(value, "Dockerfile", { keepGitDir, signal });
      temporaries.push(fetched);
      buildContexts[name] = fetched.contextDir;
    }
    const res = await build({
      contextDir: temporary?.contextDir ?? flags.context,
      dockerfilePath: temporary?.dockerfilePath ?? flags.file,
      dockerfileText: temporary?.dockerfileText ?? (flags.file === "-" ? await readStdin() : undefined),
      temporaryDirs: temporaries.map((t) => t.contextDir),
      tags: flags.tags,
      outputs: flags.outputs,
      buildArgs: flags.buildArgs,
      target: flags.target,
      labels: flags.labels,
      buildContexts,
      platform: flags.platform,
      platforms: flags.platforms,
      noCache: flags.noCache,
      pull: flags.pull,
      noCacheFilter: flags.noCacheFilter,
      storeRoot: flags.root,
      progress,
      secrets,
      ssh: flags.ssh.map(parseSshSpec),
      format: flags.format,
      compression: flags.compression,
      squash: flags.squash,
      sourceDateEpoch: flags.sourceDateEpoch,
      iidFile: flags.iidFile,
      metadataFile: flags.metadataFile,
      printGraph: flags.print,
      check: flags.check,
      listTargets: flags.listTargets,
      outline: flags.outline,
      provenance: flags.provenance,
      callFormat: flags.callFormat,
      explain: flags.explain,
      maxParallelism: flags.maxParallelism,
      insecureRegistries: flags.insecureRegistries,
      registryMirrors: flags.registryMirrors,
      registryCa: flags.registryCa,
      snapshotter: flags.snapshotter,
      network: flags.network,
      extraHosts: flags.extraHosts,
      annotations: flags.annotations,
      ulimits: flags.ulimits,
      shmSize: flags.shmSize,
      allow: flags.allow,
      cacheFrom: flags.cacheFrom,
      cacheTo: flags.cacheTo,
      signal,
    });
    progress.close();
    if (res.callText !== undefined) {
      Deno.stdout.writeSync(enc.encode(res.callText));
      return 0;
    }
    if (res.graphText !== undefined) {
      Deno.stdout.writeSync(enc.encode(res.graphText));
      return 0;
    }
    if (res.checkReport !== undefined) {
      // buildx prints the report on stdout and fails the command when the checks found anything.
      Deno.stdout.writeSync(enc.encode(res.checkReport));
      return res.checkFailed ? 1 : 0;
    }
    if (res.warningSummary) write(res.warningSummary);
    const took = ((performance.now() - t0) / 1000).toFixed(1);
    write(
      res.platforms
        ? `done in ${took}s: index ${res.manifestDigest} (${res.platforms.join(", ")})\n`
        : `done in ${took}s: ${res.configDigest} (manifest ${res.manifestDigest})\n`,
    );
    // With an output on stdout, the image ID would end up inside its tar.
    const stdoutTaken = flags.outputs.some((o) => "dest" in o && o.dest === "-");
    if (flags.quiet && !stdoutTaken) Deno.stdout.writeSync(enc.encode(`${res.configDigest ?? res.manifestDigest}\n`));
    return 0;
  } catch (e) {
    progress.close();
    throw e;
  } finally {
    for (const t of temporaries) await t.close();
  }
}
