// Fixture for enter_namespace_test.ts: enters the namespace, then reports what the inside looks like.
import { enterNamespace, inNamespace } from "../mod.ts";

if (!inNamespace()) {
  Deno.exit(await enterNamespace({ argv: Deno.args, script: new URL(import.meta.url).pathname }));
}
const [mode, ...rest] = Deno.args;
if (mode === "report") {
  const uidMap = (await Deno.readTextFile("/proc/self/uid_map")).trim().split("\n").map((l) => l.trim().split(/\s+/));
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  console.log(
    JSON.stringify({
      args: rest,
      uid: Deno.uid(),
      uidMap,
      mark: Deno.env.get("TSBUILD_IN_NAMESPACE"),
      mountNs: await Deno.readLink("/proc/self/ns/mnt"),
      mounts: mounts.length,
    }),
  );
  Deno.exit(Number(rest[0] ?? 0));
}
if (mode === "mount") {
  // A tmpfs mounted inside must not be visible outside once the namespace is gone.
  const out = await new Deno.Command("mount", { args: ["-t", "tmpfs", "tmpfs", rest[0]] }).output();
  Deno.exit(out.success ? 0 : 3);
}
if (mode === "signal") {
  Deno.addSignalListener("SIGTERM", () => {
    console.log("got SIGTERM");
    Deno.exit(42);
  });
  console.log("ready");
  setInterval(() => {}, 1 << 30); // keeps Node alive too, where a pending promise alone would not
}
