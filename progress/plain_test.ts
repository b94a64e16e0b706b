import { assertEquals } from "../test/util/assert.ts";
import { PlainProgress } from "./plain.ts";
import { RawJsonProgress } from "./rawjson.ts";

Deno.test("plain progress: BuildKit-style numbered lines, output split on newlines, CACHED and DONE", () => {
  let out = "";
  const p = new PlainProgress((s) => (out += s));
  const t = performance.now();
  p.emit({ type: "step.cached", id: 1, name: "[a 1/2] FROM x", time: t });
  p.emit({ type: "step.start", id: 2, name: "[a 2/2] RUN echo", time: t });
  p.emit({ type: "step.log", id: 2, stream: "stdout", data: new TextEncoder().encode("one\ntw"), time: t });
  p.emit({ type: "step.log", id: 2, stream: "stdout", data: new TextEncoder().encode("o\n"), time: t });
  p.emit({ type: "step.done", id: 2, time: t + 100 });
  p.close();
  const lines = out.trim().split("\n").map((l) => l.replace(/^(#\d+) \d+\.\d+ /, "$1 T "));
  assertEquals(lines, ["#1 [a 1/2] FROM x", "#1 CACHED", "#2 [a 2/2] RUN echo", "#2 T one", "#2 T two", "#2 DONE 0.1s"]);
});

Deno.test("rawjson progress: one JSON object per event, output base64", () => {
  let out = "";
  const p = new RawJsonProgress((s) => (out += s));
  p.emit({ type: "step.log", id: 3, stream: "stderr", data: new TextEncoder().encode("hi"), time: 1 });
  const ev = JSON.parse(out.trim());
  assertEquals([ev.type, ev.id, ev.stream, atob(ev.data)], ["step.log", 3, "stderr", "hi"]);
});
