/**
 * An exclusive advisory lock (flock) on a file: held across processes, released by the kernel if the holder dies,
 * which is what keeps the store consistent after a kill.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o644 });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing the descriptor drops the flock
  }
}
