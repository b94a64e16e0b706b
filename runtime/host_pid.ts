/**
 * This process's pid as the host's /proc names it: the identity the store's ownership records (active snapshots,
 * ingest files, containers) use, so liveness checks stay right even if tsbuild ever runs in a pid namespace of its
 * own, where `Deno.pid` would be 1 in every build.
 */
export function hostPid(): number {
  try {
    const n = Number(Deno.readLinkSync("/proc/self"));
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // no /proc: fall back to what the runtime says
  }
  return Deno.pid;
}
