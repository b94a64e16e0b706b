/**
 * Test helper for the secrets and SSH proofs: finds where given bytes occur in a pushed image (every blob, layers
 * decompressed too, and every JSON document) or under directories (a store), using skopeo, gzip and grep, never
 * tsbuild code.
 * @module
 */

/** Paths (with `(decompressed)` for layer contents) where any of `needles` occurs; empty when none. */
export async function findLeaks(needles: string[], where: { ref?: string; dirs?: string[] }): Promise<string[]> {
  const work = await Deno.makeTempDir({ prefix: "tsbuild-leak-scan-" });
  const found: string[] = [];
  try {
    const patterns = `${work}/patterns`;
    // grep -F -f takes one pattern a line, so multi-line needles (PEM keys) are searched line by line.
    // PEM armour lines (`-----BEGIN …`) are in every ssh binary, so only the key material counts.
    const lines = needles.flatMap((n) => n.split("\n")).map((l) => l.trim())
      .filter((l) => l.length >= 8 && !l.startsWith("-----"));
    if (lines.length === 0) throw new Error("findLeaks: nothing to look for");
    await Deno.writeTextFile(patterns, lines.join("\n") + "\n");
    const dirs = [...(where.dirs ?? [])];
    if (where.ref) {
      const layout = `${work}/image`;
      await run("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${where.ref}`, `oci:${layout}:scan`]);
      dirs.push(layout);
    }
    for (const dir of dirs) {
      const plain = await grep(["-r", "-l", "-a", "-F", "-D", "skip", "--no-messages", "-f", patterns, dir]);
      found.push(...plain);
      for (const file of await walkFiles(dir)) {
        if (!(await isGzip(file))) continue;
        const out = await new Deno.Command("sh", {
          args: ["-c", 'gzip -dc "$1" | grep -c -a -F -f "$2"', "sh", file, patterns],
          stdout: "piped",
          stderr: "null",
        }).output();
        if (Number(new TextDecoder().decode(out.stdout).trim() || "0") > 0) found.push(`${file} (decompressed)`);
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  return found;
}

async function grep(args: string[]): Promise<string[]> {
  const out = await new Deno.Command("grep", { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l);
}

async function walkFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p).catch(() => {});
      else if (e.isFile) files.push(p);
    }
  };
  await walk(dir);
  return files;
}

async function isGzip(path: string): Promise<boolean> {
  try {
    using f = await Deno.open(path);
    const head = new Uint8Array(2);
    return (await f.read(head)) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped", stdin: "null" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}
