/**
 * `tsbuild build -` as `docker build -` reads it: stdin is either a build context as a tar archive (plain, gzip,
 * bzip2 or xz; its Dockerfile at the root unless `-f` names another path in it) or a Dockerfile alone, built with
 * an empty context.
 */
import { TsbuildError } from "../errors.ts";
import { UsageError } from "./errors.ts";

/** Where the build's context and Dockerfile come from once stdin has been read. */
export interface StdinContext {
  contextDir: string;
  dockerfilePath: string;
  dockerfileText?: string;
  /** Removes the temporary context. */
  close(): Promise<void>;
}

const MAGIC: [number[], string][] = [
  [[0x1f, 0x8b], "-z"],
  [[0x42, 0x5a, 0x68], "-j"],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "-J"],
];

/** Reads stdin into a temporary context dir; `file` is the Dockerfile's path in a tar context (`-f`, default `Dockerfile`). */
export async function stdinContext(file: string): Promise<StdinContext> {
  if (file === "-") {
    throw new UsageError(
      `"tsbuild build -" reads the context from stdin, so -f - cannot read the Dockerfile from it too`,
    );
  }
  return await streamContext(Deno.stdin.readable, file, "stdin");
}

/**
 * Reads a context tar (plain or compressed) or a lone Dockerfile from `stream` into a temporary dir, as for
 * stdin; `source` names where it came from in errors.
 */
export async function streamContext(stream: ReadableStream<Uint8Array>, file: string, source: string): Promise<StdinContext> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-context-" });
  const close = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    const reader = stream.getReader();
    // Enough to tell a tar (ustar magic at 257) or a compressed stream from a Dockerfile.
    const head: Uint8Array[] = [];
    let size = 0;
    let done = false;
    while (size < 512 && !done) {
      const r = await reader.read();
      if (r.done) done = true;
      else {
        head.push(r.value);
        size += r.value.length;
      }
    }
    const first = await bytesOf(head);
    const compression = MAGIC.find(([m]) => m.every((b, i) => first[i] === b))?.[1];
    const isTar = compression !== undefined || new TextDecoder().decode(first.subarray(257, 262)) === "ustar";
    if (!isTar) {
      const rest: Uint8Array[] = [first];
      while (!done) {
        const r = await reader.read();
        if (r.done) done = true;
        else rest.push(r.value);
      }
      return { contextDir: dir, dockerfilePath: "-", dockerfileText: new TextDecoder().decode(await bytesOf(rest)), close };
    }
    const tar = new Deno.Command("tar", {
      args: ["-x", ...(compression ? [compression] : []), "--no-same-owner", "-f", "-", "-C", dir],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = tar.stdin.getWriter();
    await writer.write(first);
    while (!done) {
      const r = await reader.read();
      if (r.done) done = true;
      else await writer.write(r.value);
    }
    await writer.close();
    const out = await tar.output();
    if (!out.success) {
      throw new TsbuildError(
        `reading the build context from ${source} as a tar archive: ${new TextDecoder().decode(out.stderr).trim()}`,
      );
    }
    // -f names a file in the archive; an absolute path or - (stdin, for a downloaded context) is the caller's own.
    return { contextDir: dir, dockerfilePath: file === "-" || file.startsWith("/") ? file : `${dir}/${file}`, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function bytesOf(chunks: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}
