/** Base class of every error tsbuild shows a user: `message` is what the user reads, already complete. */
export class TsbuildError extends Error {
  /** Process exit code the CLI uses for this error. */
  exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
