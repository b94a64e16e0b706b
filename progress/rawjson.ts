import type { ProgressEvent, ProgressSink } from "./events.ts";

/** `--progress=rawjson`: one JSON object per event and line, step output base64-encoded, for tools. */
export class RawJsonProgress implements ProgressSink {
  #out: (s: string) => void;
  constructor(write: (s: string) => void) {
    this.#out = write;
  }
  emit(e: ProgressEvent): void {
    const { data, ...rest } = e as ProgressEvent & { data?: Uint8Array };
    const obj: Record<string, unknown> = { ...rest };
    if (data) obj.data = btoa(String.fromCharCode(...data));
    this.#out(JSON.stringify(obj) + "\n");
  }
  close(): void {}
}
