/**
 * `--provenance`, `--sbom` and `--attest` as buildx reads them: `--provenance=true|false|mode=max,...` is shorthand
 * for `--attest type=provenance[,...]` (false: `disabled=true`), and so is `--sbom` for `type=sbom`. Provenance is
 * made here (exporter/provenance.ts); an SBOM needs a scanner image run over the result, which tsbuild does not
 * have, so asking for one is a usage error rather than an image silently without it.
 *
 * @module
 */
import type { ProvenanceMode } from "../exporter/mod.ts";
import { UsageError } from "./errors.ts";
import { csv } from "./flag_values.ts";

const TRUE = ["true", "1"];
const FALSE = ["false", "0"];

/** The provenance the flags ask for, or undefined for none (the default, as with `docker build`). */
export function parseAttestFlags(
  provenance: string | undefined,
  sbom: string | undefined,
  attest: string[],
): ProvenanceMode | undefined {
  const specs: { flag: string; fields: Record<string, string> }[] = [];
  for (const [flag, type, value] of [["--provenance", "provenance", provenance], ["--sbom", "sbom", sbom]] as const) {
    if (value === undefined) continue;
    const v = value.trim().toLowerCase();
    if (FALSE.includes(v)) specs.push({ flag, fields: { type, disabled: "true" } });
    else if (TRUE.includes(v) || v === "") specs.push({ flag, fields: { type } });
    else specs.push({ flag, fields: { ...csv(value), type } });
  }
  for (const a of attest) specs.push({ flag: "--attest", fields: csv(a) });

  let out: ProvenanceMode | undefined;
  for (const { flag, fields } of specs) {
    const { type, disabled, mode, version, ...rest } = fields;
    const builderId = rest["builder-id"];
    delete rest["builder-id"];
    const off = disabled !== undefined && TRUE.includes(disabled.toLowerCase());
    if (type === "sbom") {
      if (off) continue;
      throw new UsageError(
        `${flag}: tsbuild does not make SBOM attestations (BuildKit runs a scanner image over the result); ` +
          "leave it out or pass --sbom=false",
      );
    }
    if (type !== "provenance") {
      throw new UsageError(`${flag} ${JSON.stringify(fields)}: type must be provenance or sbom`);
    }
    if (off) {
      out = undefined;
      continue;
    }
    if (mode !== undefined && mode !== "min" && mode !== "max") {
      throw new UsageError(`${flag}: mode ${mode}: use min or max`);
    }
    if (version !== undefined && version !== "v0.2") {
      throw new UsageError(`${flag}: version ${version}: tsbuild writes SLSA provenance v0.2 (version=v0.2)`);
    }
    const unknown = Object.keys(rest);
    if (unknown.length) throw new UsageError(`${flag}: unknown field ${unknown[0]} (use mode, version, builder-id)`);
    out = { mode: (mode ?? "min") as "min" | "max", ...(builderId ? { builderId } : {}) };
  }
  return out;
}
