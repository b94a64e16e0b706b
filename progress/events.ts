/** Progress events the solver emits; renderers turn them into tty, plain or rawjson output. */
export type ProgressEvent =
  | { type: "step.start"; id: number; name: string; time: number }
  | { type: "step.cached"; id: number; name: string; time: number }
  | { type: "step.log"; id: number; stream: "stdout" | "stderr"; data: Uint8Array; time: number }
  | { type: "step.done"; id: number; time: number; reason?: string }
  | { type: "step.error"; id: number; time: number; message: string }
  | { type: "info"; message: string; time: number }
  | { type: "warn"; message: string; time: number };

/** Where the solver sends events. */
export interface ProgressSink {
  emit(event: ProgressEvent): void;
  /** Flushes and stops live rendering. */
  close(): void;
}
