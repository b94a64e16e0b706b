/** Build-arg facts BuildKit hard-codes: the automatic platform ARGs, the proxy ARGs, and image reference syntax. */
import { formatPlatform, type Platform } from "../../oci/mod.ts";
import type { ShellLex } from "../shell/mod.ts";
import { type DockerfileSpec, suggest } from "../instructions/mod.ts";

/** Proxy settings a RUN receives from `--build-arg` without an ARG, and which never reach the image history. */
export const PROXY_ARGS: ReadonlySet<string> = new Set([
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "FTP_PROXY",
  "ftp_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
]);

/**
 * TARGETPLATFORM, TARGETOS, ... BUILDVARIANT and TARGETSTAGE (Dockerfile 1.11: the stage built, "" if unnamed):
 * predefined in the global scope.
 */
export function platformArgs(target: Platform, build: Platform, targetStage = ""): Record<string, string> {
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? "",
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? "",
    TARGETSTAGE: targetStage,
  };
}

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$`,
);

/** Whether `ref` is a syntactically valid image reference (distribution/reference grammar) or an OCI layout. */
export function isImageReference(ref: string): boolean {
  if (ref.startsWith("oci-layout://")) return ref.length > 13;
  return ref.length <= 255 && REFERENCE.test(ref);
}

/**
 * Why a FROM came out blank or broken: the variables it names that no ARG before the first FROM (or --build-arg)
 * defines, with the nearest defined name when one is close.
 */
export function undefinedVariables(lex: ShellLex, word: string, env: Record<string, string>): string {
  let unmatched: string[];
  try {
    unmatched = [...lex.processWordWithMatches(word, env).unmatched];
  } catch {
    return "";
  }
  if (unmatched.length === 0) return "";
  const notes = unmatched.map((v) => {
    const near = suggest(v, Object.keys(env));
    return `${v} is not defined${near ? ` (did you mean ${near}?)` : ""}`;
  });
  return `: ${notes.join("; ")}; declare it with ARG before the first FROM or pass --build-arg ${unmatched[0]}=...`;
}

/** The --build-arg names no ARG declares (proxy ARGs need none), sorted: BuildKit warns they "were not consumed". */
export function unusedBuildArgs(spec: DockerfileSpec, buildArgs: Record<string, string>): string[] {
  const declared = new Set<string>();
  for (const a of spec.metaArgs) for (const d of a.args) declared.add(d.key);
  for (const s of spec.stages) {
    for (const c of s.commands) if (c.kind === "arg") { for (const d of c.args) declared.add(d.key); }
  }
  return Object.keys(buildArgs).filter((k) => !declared.has(k) && !PROXY_ARGS.has(k)).sort();
}
