import { TsbuildError } from "../errors.ts";

/** A bad `--ssh` flag, an unreadable or unusable key, or an agent that cannot be reached or served. */
export class SshError extends TsbuildError {}
