import { assert, assertStringIncludes } from "../test/util/assert.ts";
import { TtyProgress } from "./tty.ts";

Deno.test("tty progress: every step line keeps its whole name and timer, and the view ends FINISHED", () => {
  let out = "";
  const p = new TtyProgress((s) => (out += s));
  const t = performance.now();
  p.emit({ type: "step.start", id: 1, name: "[build 2/4] WORKDIR /src", time: t });
  p.emit({ type: "step.log", id: 1, stream: "stdout", data: new TextEncoder().encode("some output\n"), time: t });
  p.emit({ type: "step.done", id: 1, time: t + 1500 });
  p.emit({ type: "step.cached", id: 2, name: "[build 1/4] FROM busybox", time: t });
  p.close();
  const final = out.slice(out.lastIndexOf("[+] Building"));
  assertStringIncludes(final, "FINISHED");
  assert(/=> \[build 2\/4\] WORKDIR \/src\s+1\.5s/.test(final), final);
  assert(/=> \[build 1\/4\] FROM busybox\s+CACHED/.test(final), final);
  assert(!final.includes("some output"), "a finished step's output is collapsed");
});
