import { cleanPath } from "./glob.ts";

/**
 * Reads the ignore patterns for a build: `<Dockerfile>.dockerignore` beside a named Dockerfile wins over the
 * context's `.dockerignore` (as BuildKit does). Lines are normalised like moby/patternmatcher's `ReadAll`.
 */
export async function readDockerignore(contextDir: string, dockerfilePath?: string): Promise<string[]> {
  const candidates: string[] = [];
  if (dockerfilePath) candidates.push(dockerfilePath + ".dockerignore");
  candidates.push(contextDir.replace(/\/+$/, "") + "/.dockerignore");
  for (const file of candidates) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    return parseDockerignore(text);
  }
  return [];
}

/** Parses `.dockerignore` text: `#` comments, trimmed lines, cleaned paths, leading `/` dropped, `!` kept. */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let line of lines) {
    if (line.startsWith("#")) continue;
    line = line.trim();
    if (line === "") continue;
    const invert = line.startsWith("!");
    if (invert) line = line.slice(1).trim();
    if (line.length > 0) {
      line = cleanPath(line);
      if (line.length > 1 && line.startsWith("/")) line = line.slice(1);
    }
    out.push(invert ? "!" + line : line);
  }
  return out;
}
