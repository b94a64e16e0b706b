import { TsbuildError } from "../errors.ts";

/**
 * A registry operation failed. The message names the registry, the reference and the cause (unreachable, auth,
 * not found, digest mismatch); `status` is the last HTTP status seen, when there was one.
 */
export class RegistryError extends TsbuildError {
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** A reference string that docker would reject too. */
export class InvalidReferenceError extends TsbuildError {
  constructor(ref: string, why: string) {
    super(`invalid image reference "${ref}": ${why}`);
  }
}
