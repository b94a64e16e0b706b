import { join } from "node:path";

/** A hold on a store: builds share it, `prune` takes it alone. Dropped by the kernel when the holder dies. */
export interface StoreLease {
  release(): void;
}

/**
 * Builds hold a shared lease for their whole run; `prune` waits for an exclusive one, so it never deletes a
 * snapshot or blob a running build is using, and a killed build never blocks it (flock dies with the process).
 */
export async function leaseStore(storeRoot: string, exclusive: boolean): Promise<StoreLease> {
  await Deno.mkdir(join(storeRoot, "locks"), { recursive: true });
  const file = await Deno.open(join(storeRoot, "locks", "store.lock"), { read: true, write: true, create: true });
  await file.lock(exclusive);
  return { release: () => file.close() };
}
