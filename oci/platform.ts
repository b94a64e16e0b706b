import type { Platform } from "./image.ts";

/** The platform this process runs on, in OCI terms. */
export function hostPlatform(): Platform {
  const arch = ({ x86_64: "amd64", aarch64: "arm64", arm: "arm", riscv64: "riscv64", s390x: "s390x", ppc64le: "ppc64le" } as
    Record<string, string>)[Deno.build.arch] ?? Deno.build.arch;
  return arch === "arm" ? { os: "linux", architecture: arch, variant: "v7" } : { os: "linux", architecture: arch };
}

/** Parses `os/arch[/variant]` as docker's `--platform` does. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new Error(`invalid platform "${text}": expected os/arch[/variant]`);
  }
  const [os, architecture, variant] = parts;
  const p: Platform = { os, architecture };
  if (variant) p.variant = variant;
  else if (architecture === "arm64") p.variant = undefined;
  if (p.variant === undefined) delete p.variant;
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
