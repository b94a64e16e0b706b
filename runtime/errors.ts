import { TsbuildError } from "../errors.ts";

/** tsbuild cannot enter its user/mount namespace; the message says why and how to fix the host. */
export class NamespaceError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
