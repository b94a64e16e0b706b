/**
 * Where file mounts (secrets) are written before runc binds them: a tmpfs when this process may mount one (real
 * root, or root of tsbuild's namespace), so secrets never reach a disk, as BuildKit keeps them in memory.
 */

/** A directory for a run's secret files; `dispose` unmounts and removes it. */
export interface SecretDir {
  path: string;
  inMemory: boolean;
  dispose(): Promise<void>;
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/** Creates `<bundle>/files`, on a tmpfs when possible. */
export async function makeSecretDir(bundle: string): Promise<SecretDir> {
  const path = `${bundle}/files`;
  await Deno.mkdir(path, { mode: 0o700 });
  const inMemory = await run("mount", [
    "-t",
    "tmpfs",
    "-o",
    "mode=0700,size=16m,nosuid,nodev,noexec",
    "tsbuild-secrets",
    path,
  ]);
  return {
    path,
    inMemory,
    async dispose() {
      if (inMemory) await run("umount", [path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
