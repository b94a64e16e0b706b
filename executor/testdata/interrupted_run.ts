// Fixture for runc_executor_test.ts: a RUN that never ends, for the test to interrupt with a signal.
import { RuncExecutor } from "../mod.ts";

const [stateDir, rootfs] = Deno.args;
await new RuncExecutor({ stateDir }).run({
  rootfs,
  args: ["/bin/sh", "-c", "echo started; sleep 13579; echo survived"],
  env: [],
  cwd: "/",
  user: "root",
  network: "default",
  mounts: [{ type: "tmpfs", target: "/scratch" }],
  stdout: (c) => Deno.stdout.writeSync(c),
  stderr: (c) => Deno.stderr.writeSync(c),
});
