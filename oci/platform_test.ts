import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from "./platform.ts";

Deno.test("parsePlatform reads os/arch[/variant] and normalizes aliases as containerd does", () => {
  assertEquals(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("Linux/ARM/v7"), { os: "linux", architecture: "arm", variant: "v7" });
  assertEquals(parsePlatform("linux/x86_64"), { os: "linux", architecture: "amd64" });
  assertEquals(parsePlatform("linux/aarch64"), { os: "linux", architecture: "arm64" });
  assertEquals(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64" });
  assertEquals(parsePlatform("linux/armhf"), { os: "linux", architecture: "arm", variant: "v7" });
  assertEquals(parsePlatform("linux"), { ...hostPlatform(), os: "linux" });
  assertEquals(formatPlatform(parsePlatform("linux/arm/v6")), "linux/arm/v6");
  assertEquals(platformMatches(parsePlatform("linux/arm64"), { os: "linux", architecture: "arm64", variant: "v8" }), true);
});

Deno.test("parsePlatform refuses lists and malformed text instead of inventing an architecture", () => {
  for (const bad of ["linux/amd64,linux/arm64", "linux/", "/amd64", "linux/amd64/v1/x", "linux amd64", ""]) {
    assertThrows(() => parsePlatform(bad), Error, "invalid platform");
  }
});
