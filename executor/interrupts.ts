/**
 * ^C and SIGTERM while containers run: a shell started as a container's pid 1 ignores SIGINT, so without this the
 * container would outlive tsbuild and keep its mounts. While any run is active, these signals kill every active
 * container; each run then cleans up and rejects with `RunAbortedError`, which the CLI turns into its exit.
 */

const active = new Set<() => void>();
const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

function onSignal(): void {
  for (const kill of [...active]) kill();
}

/** Registers `kill` for the duration of a run; call the returned function when the run has ended. */
export function killOnInterrupt(kill: () => void): () => void {
  if (active.size === 0) { for (const s of SIGNALS) Deno.addSignalListener(s, onSignal); }
  active.add(kill);
  return () => {
    if (!active.delete(kill)) return;
    if (active.size === 0) { for (const s of SIGNALS) Deno.removeSignalListener(s, onSignal); }
  };
}
