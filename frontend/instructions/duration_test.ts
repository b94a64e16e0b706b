import { assertEquals } from "../../test/util/assert.ts";
import { formatGoDuration, parseGoDuration } from "./duration.ts";
import { suggest } from "./suggest.ts";

Deno.test("Go durations parse to nanoseconds and print back as Go prints them", () => {
  const cases: [string, number | undefined, string][] = [
    ["30s", 30e9, "30s"],
    ["1m30s", 90e9, "1m30s"],
    ["1.5h", 5400e9, "1h30m0s"],
    ["500ms", 500e6, "500ms"],
    ["0", 0, "0s"],
    ["2h3m4s", 7384e9, "2h3m4s"],
  ];
  for (const [text, ns, shown] of cases) {
    assertEquals(parseGoDuration(text), ns, text);
    assertEquals(formatGoDuration(ns!), shown, text);
  }
  for (const bad of ["", "10", "s", "1x", "1.s2"]) assertEquals(parseGoDuration(bad), undefined, bad);
});

Deno.test("suggest proposes close keywords only", () => {
  const words = ["COPY", "RUN", "WORKDIR", "ENTRYPOINT"];
  assertEquals(suggest("COPPY", words), "COPY");
  assertEquals(suggest("workdri", words), "WORKDIR");
  assertEquals(suggest("ENTRYPIONT", words), "ENTRYPOINT");
  assertEquals(suggest("XYZ", words), undefined);
  assertEquals(suggest("RUN", words), undefined);
});
