import { TsbuildError } from "../errors.ts";

/** A flag or argument the CLI cannot use; exit code 2 like other CLIs' usage errors. */
export class UsageError extends TsbuildError {
  constructor(message: string) {
    super(`${message}\nSee 'tsbuild --help'.`);
    this.exitCode = 2;
  }
}
