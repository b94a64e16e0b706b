// Fixture entry for the Node test: what tsbuild's Node build does, the Deno shim as `Deno`, then the program.
import { Deno as DenoShim } from "@deno/shim-deno";
// deno-lint-ignore no-explicit-any
(globalThis as any).Deno ??= DenoShim;
await import("./reexec.ts");
