import { TsbuildError } from "../errors.ts";

/** A `USER` or `--chown` spec names a user or group the image does not define. */
export class UserNotFoundError extends TsbuildError {
  constructor(readonly spec: string, readonly what: "user" | "group", readonly missing: string) {
    super(
      `unable to find ${what} ${missing}: no matching entries in ${what === "user" ? "passwd" : "group"} file ` +
        `(spec "${spec}"); create it in an earlier RUN or use numeric ids`,
    );
  }
}

/** runc could not be started or failed outside the container process (bad spec, missing runc, mount errors). */
export class RuncError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A RUN was aborted (^C, SIGTERM or a failing sibling); its container has been killed and removed. */
export class RunAbortedError extends TsbuildError {
  constructor(readonly args: string[]) {
    super(`run of ${JSON.stringify(args)} was aborted; its container was killed and removed`);
    this.exitCode = 130;
  }
}
