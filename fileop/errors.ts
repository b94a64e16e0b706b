import { TsbuildError } from "../errors.ts";

/** A COPY/ADD/WORKDIR file operation that cannot be applied; the message names the instruction and path. */
export class FileOpError extends TsbuildError {}
