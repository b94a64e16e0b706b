import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { SshError } from "./errors.ts";
import { parseSshSpec } from "./spec.ts";

Deno.test("parseSshSpec: the buildx forms", () => {
  assertEquals(parseSshSpec("default"), { id: "default", paths: [] });
  assertEquals(parseSshSpec("gh"), { id: "gh", paths: [] });
  assertEquals(parseSshSpec("default=/k/id_ed25519"), { id: "default", paths: ["/k/id_ed25519"] });
  assertEquals(parseSshSpec("gh=/k/a,/k/b"), { id: "gh", paths: ["/k/a", "/k/b"] });
});

Deno.test("parseSshSpec: bad flags are refused naming the flag", () => {
  assertThrows(() => parseSshSpec("=/k/a"), SshError, "--ssh =/k/a");
  assertThrows(() => parseSshSpec(""), SshError, "id");
  assertThrows(() => parseSshSpec("gh="), SshError, "empty path");
  assertThrows(() => parseSshSpec("gh=/a,,/b"), SshError, "empty path");
  assertThrows(() => parseSshSpec("g h=/a"), SshError, `id "g h"`);
});
