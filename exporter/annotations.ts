/**
 * `--annotation`: OCI annotations on what the image exporter writes, as buildx takes them:
 * `[TYPE[,TYPE…]][\[PLATFORM\]]:KEY=VALUE`, TYPE one of `manifest` (the default), `index` or `manifest-descriptor`
 * (the manifest's entry in the index). A platform limits a manifest annotation to that platform's image.
 *
 * @module
 */
import { formatPlatform, parsePlatform, type Platform } from "../oci/mod.ts";
import { TsbuildError } from "../errors.ts";

/** Where an annotation goes. */
export type AnnotationTarget = "manifest" | "index" | "manifest-descriptor";

/** One annotation, for one target. */
export interface ImageAnnotation {
  target: AnnotationTarget;
  /** Only this platform's manifest (or descriptor); absent: every one. */
  platform?: string;
  key: string;
  value: string;
}

/** A malformed `--annotation`, or one the build's output cannot carry. */
export class AnnotationError extends TsbuildError {}

const TARGETS: readonly string[] = ["manifest", "index", "manifest-descriptor"];

/** Parses one `--annotation`; several types make one annotation each. */
export function parseAnnotation(spec: string): ImageAnnotation[] {
  const m = /^(?:([a-z,-]+)?(?:\[([^\]]+)\])?:)?([^=:\[\]][^=]*)=(.*)$/s.exec(spec);
  if (!m) {
    throw new AnnotationError(
      `--annotation ${spec}: expected [TYPE[PLATFORM]:]KEY=VALUE, e.g. org.opencontainers.image.title=app`,
    );
  }
  const [, types, platform, key, value] = m;
  let p: Platform | undefined;
  try {
    p = platform === undefined ? undefined : parsePlatform(platform);
  } catch (e) {
    throw new AnnotationError(`--annotation ${spec}: ${(e as Error).message}`);
  }
  return (types ?? "manifest").split(",").map((t) => {
    if (t === "index-descriptor") {
      throw new AnnotationError(
        `--annotation ${spec}: index-descriptor annotations are not supported (an OCI layout's index.json entry)`,
      );
    }
    if (!TARGETS.includes(t)) {
      throw new AnnotationError(`--annotation ${spec}: unknown type "${t}" (${TARGETS.join(", ")})`);
    }
    if (t === "index" && p) {
      throw new AnnotationError(`--annotation ${spec}: an index annotation cannot name a platform`);
    }
    return { target: t as AnnotationTarget, platform: p && formatPlatform(p), key, value };
  });
}

/** The annotations of `target` that apply to `platform` (all of them when the image has no index). */
export function annotationsFor(
  list: readonly ImageAnnotation[] | undefined,
  target: AnnotationTarget,
  platform?: Platform,
): Record<string, string> | undefined {
  const name = platform && formatPlatform(platform);
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    if (a.target === target && (a.platform === undefined || a.platform === name)) out[a.key] = a.value;
  }
  return Object.keys(out).length ? out : undefined;
}

/** An image without an index has nowhere to put index or descriptor annotations: BuildKit refuses them. */
export function checkSinglePlatformAnnotations(list: readonly ImageAnnotation[] | undefined): void {
  const bad = (list ?? []).find((a) => a.target !== "manifest");
  if (bad) {
    throw new AnnotationError(
      `--annotation ${bad.target}:${bad.key}: ${bad.target} annotations are not supported for single platform export`,
    );
  }
}
