import { TsbuildError } from "../errors.ts";

/** A blob did not match the digest or size its descriptor promised (corrupt download, wrong registry answer). */
export class DigestMismatchError extends TsbuildError {
  constructor(
    readonly expected: { digest?: string; size?: number },
    readonly actual: { digest: string; size: number },
  ) {
    super(
      `content verification failed: expected ${expected.digest ?? "any digest"}` +
        `${
          expected.size !== undefined ? ` (${expected.size} bytes)` : ""
        }, got ${actual.digest} (${actual.size} bytes)`,
    );
  }
}

/** A blob the caller needs is not in the content store. */
export class BlobNotFoundError extends TsbuildError {
  constructor(readonly digest: string, options?: { cause?: unknown }) {
    super(`blob ${digest} is not in the content store`, options);
  }
}

/** A string that is not a `sha256:<64 hex>` digest (the store refuses anything else rather than guess a path). */
export class InvalidDigestError extends TsbuildError {
  constructor(readonly digest: string) {
    super(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 lowercase hex digits>`);
  }
}

/** A snapshot operation the metadata forbids (unknown key, key already used, removing a parent, ...). */
export class SnapshotError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A mount helper (`mount`, `umount`, `fuse-overlayfs`, `setfattr`, ...) failed; the message carries its stderr. */
export class MountError extends TsbuildError {
  constructor(readonly command: string[], readonly stderr: string) {
    super(`${command.join(" ")} failed: ${stderr.trim() || "no error output"}`);
  }
}

/** A layer tar that cannot be applied (unsupported compression, corrupt archive), naming the layer and entry. */
export class LayerApplyError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
