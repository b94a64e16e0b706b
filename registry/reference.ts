import { InvalidReferenceError } from "./errors.ts";

/** A normalized image reference, as docker's `reference.ParseNormalizedNamed` + `TagNameOnly` produce it. */
export interface Reference {
  /** Registry host[:port], `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path, with `library/` for Docker Hub official images. */
  repository: string;
  tag?: string;
  digest?: string;
  /** docker.io/library/busybox:latest */
  toString(): string;
  /** busybox:latest */
  familiar(): string;
}

export const DOCKER_HUB = "docker.io";

// The grammar of distribution/reference (regexp.go), kept as separate pieces so errors can say which part is wrong.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const NAME_MAX = 255;

/**
 * Parses an image reference with docker's normalization: a first component without `.`/`:` that is not `localhost`
 * is a Docker Hub path, Hub names without a slash get `library/`, and a name with neither tag nor digest gets
 * `latest`.
 */
export function parseReference(ref: string): Reference {
  let rest = ref.trim();
  if (rest === "") throw new InvalidReferenceError(ref, "empty reference");
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new InvalidReferenceError(ref, `malformed digest "${digest}"`);
    const [algo, hex] = digest.split(":");
    if (algo === "sha256" && !/^[a-f0-9]{64}$/.test(hex)) {
      throw new InvalidReferenceError(ref, "a sha256 digest has 64 lowercase hex characters");
    }
    if (algo === "sha512" && !/^[a-f0-9]{128}$/.test(hex)) {
      throw new InvalidReferenceError(ref, "a sha512 digest has 128 lowercase hex characters");
    }
  }
  let tag: string | undefined;
  // A tag is after the last colon that follows the last slash; an earlier colon is a registry port.
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(ref, `invalid tag "${tag}"`);
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (!DOMAIN.test(registry)) throw new InvalidReferenceError(ref, `invalid registry host "${registry}"`);
  if (repository === "") throw new InvalidReferenceError(ref, "missing repository name");
  if (repository.toLowerCase() !== repository) {
    throw new InvalidReferenceError(ref, "repository name must be lowercase");
  }
  for (const c of repository.split("/")) {
    if (!PATH_COMPONENT.test(c)) throw new InvalidReferenceError(ref, `invalid repository path component "${c}"`);
  }
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > NAME_MAX) {
    throw new InvalidReferenceError(ref, `repository name longer than ${NAME_MAX} characters`);
  }
  if (!tag && !digest) tag = "latest";
  return makeReference(registry, repository, tag, digest);
}

/** Builds a Reference from parts already known to be valid (e.g. the same repository with another digest). */
export function makeReference(registry: string, repository: string, tag?: string, digest?: string): Reference {
  const suffix = (tag ? `:${tag}` : "") + (digest ? `@${digest}` : "");
  return {
    registry,
    repository,
    ...(tag ? { tag } : {}),
    ...(digest ? { digest } : {}),
    toString: () => `${registry}/${repository}${suffix}`,
    familiar: () => {
      if (registry !== DOCKER_HUB) return `${registry}/${repository}${suffix}`;
      return (repository.startsWith("library/") ? repository.slice(8) : repository) + suffix;
    },
  };
}
