/**
 * Entitlements (`--allow`): privileges a Dockerfile may ask for but a build grants only when its user says so, as
 * BuildKit's solver refuses to load a definition that needs one not granted, before any step runs.
 *
 * @module
 */
import type { Vertex } from "../graph/mod.ts";
import { TsbuildError } from "../errors.ts";
import { excerpt } from "./errors.ts";

/** The entitlements `--allow` takes. `network.host` is granted by default, as `docker build` grants it. */
export const ENTITLEMENTS: readonly string[] = ["security.insecure", "network.host"];

/** A step needs an entitlement the build was not given. */
export class EntitlementError extends TsbuildError {}

/** Throws for the first vertex that needs an entitlement not in `deps.entitlements`. */
export function checkEntitlements(
  vertices: Iterable<Vertex>,
  deps: { entitlements?: ReadonlySet<string>; dockerfileSource?: string },
): void {
  for (const v of vertices) {
    if (v.kind !== "exec" || v.security !== "insecure" || deps.entitlements?.has("security.insecure")) continue;
    const loc = v.location;
    const where = loc ? `${loc.file}:${loc.startLine}: ` : "";
    throw new EntitlementError(
      [
        excerpt(loc, deps.dockerfileSource),
        `${where}RUN --security=insecure: security.insecure is not allowed; grant it with --allow security.insecure`,
      ].filter(Boolean).join("\n"),
    );
  }
}
