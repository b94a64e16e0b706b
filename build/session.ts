/**
 * What every platform of one build shares: the Dockerfile read once, the context's ignore rules, the store, the
 * registry client and the image source, and how messages reach the progress stream.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { readDockerignore } from "../context/mod.ts";
import { ImageIndex, LayerStore } from "../snapshotter/mod.ts";
import { RegistryClient } from "../registry/mod.ts";
import { ImageSource } from "../solver/mod.ts";
import { TsbuildError } from "../errors.ts";
import { leaseStore } from "./store_lease.ts";
import type { BuildRequest } from "./request.ts";

/** The Dockerfile could not be read. */
export class DockerfileNotFoundError extends TsbuildError {}

/** One build's shared state, opened by {@link openSession}. */
export interface BuildSession {
  req: BuildRequest;
  contextDir: string;
  /** The Dockerfile's text and the name messages give it. */
  dockerfile: string;
  shownPath: string;
  excludes: string[];
  layers: LayerStore;
  registry: RegistryClient;
  index: ImageIndex;
  images: ImageSource;
  /** A warning on the progress stream (`Dockerfile:N: ` first when a line is given). */
  warn(message: string, line?: number): void;
  /** A line of information on the progress stream. */
  log(message: string): void;
}

/** Checks the context, reads the Dockerfile and .dockerignore, and opens the store under a lease. */
export async function openSession(req: BuildRequest): Promise<BuildSession> {
  const contextDir = resolve(req.contextDir);
  try {
    if (!(await Deno.stat(contextDir)).isDirectory) throw new Error("not a directory");
  } catch (e) {
    throw new TsbuildError(
      `unable to prepare context: path "${req.contextDir}" not found or not a directory (${(e as Error).message})`,
    );
  }
  const dockerfilePath = req.dockerfilePath === "-" ? "-" : resolve(req.dockerfilePath);
  let text = req.dockerfileText;
  if (text === undefined) {
    try {
      text = await Deno.readTextFile(dockerfilePath);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "no such file or directory" : (e as Error).message;
      throw new DockerfileNotFoundError(`failed to read dockerfile: open ${req.dockerfilePath}: ${why}`);
    }
  }
  const shownPath = req.dockerfilePath === "-" ? "Dockerfile" : basename(req.dockerfilePath);
  const excludes = await readDockerignore(contextDir, dockerfilePath === "-" ? undefined : dockerfilePath);

  await Deno.mkdir(req.storeRoot, { recursive: true });
  // Held until this process exits: `prune` waits for it instead of deleting what this build uses.
  await leaseStore(req.storeRoot, false);
  const layers = await LayerStore.open(req.storeRoot, { snapshotter: req.snapshotter ?? "auto" });
  const registry = new RegistryClient({
    insecureRegistries: req.insecureRegistries,
    mirrors: req.registryMirrors,
    caFile: req.registryCa,
  });
  const index = new ImageIndex(req.storeRoot);
  const images = new ImageSource(registry, layers.content, { index, pull: req.pull });
  return {
    req,
    contextDir,
    dockerfile: text,
    shownPath,
    excludes,
    layers,
    registry,
    index,
    images,
    warn: (message, line) =>
      req.progress.emit({
        type: "warn",
        message: line ? `${shownPath}:${line}: ${message}` : message,
        time: performance.now(),
      }),
    log: (message) => req.progress.emit({ type: "info", message, time: performance.now() }),
  };
}
