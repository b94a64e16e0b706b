import type { Platform } from "./image.ts";

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const arch = ({ x86_64: "amd64", aarch64: "arm64", arm: "arm", riscv64: "riscv64", s390x: "s390x", ppc64le: "ppc64le" } as
    Record<string, string>)[Deno.build.arch] ?? Deno.build.arch;
  return arch === "arm" ? { os: "linux", architecture: arch, variant: "v7" } : { os: "linux", architecture: arch };
}

/** Architecture names other tools print, as containerd's platforms.Normalize maps them. */
const ARCH_ALIASES: Record<string, [string, string?]> = {
  x86_64: ["amd64"],
  "x86-64": ["amd64"],
  aarch64: ["arm64"],
  armhf: ["arm", "v7"],
  armel: ["arm", "v6"],
  i686: ["386"],
  i386: ["386"],
};

/**
 * Parses `os/arch[/variant]` (or a bare `os`, meaning this machine's architecture) as docker's `--platform` does,
 * normalizing architecture aliases the way containerd does (x86_64 → amd64, aarch64 → arm64, armhf → arm/v7).
 * Anything else, such as a comma-separated list, is refused rather than read as a strange architecture.
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split("/");
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new Error(`invalid platform "${text}": expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`);
  }
  const [os, rawArch, rawVariant] = parts.length === 1 ? [parts[0], hostPlatform().architecture] : parts;
  const [architecture, aliasVariant] = ARCH_ALIASES[rawArch] ?? [rawArch];
  const variant = rawVariant ?? aliasVariant ?? (parts.length === 1 ? hostPlatform().variant : undefined);
  const p: Platform = { os, architecture };
  // arm64's v8 is its only variant: leaving it out keeps equal platforms equal (containerd does the same).
  if (variant && !(architecture === "arm64" && variant === "v8")) p.variant = variant;
  return p;
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Whether a manifest's platform satisfies the wanted one (arm64's v8 variant is implied, as containerd does). */
export function platformMatches(want: Platform, have: Platform | undefined): boolean {
  if (!have) return false;
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  const norm = (v: string | undefined) => (want.architecture === "arm64" && v === "v8" ? undefined : v);
  return !want.variant || norm(want.variant) === norm(have.variant);
}
