/**
 * Build-wide RUN settings, as root and as an unprivileged user: `--network none` gives RUN steps without their own
 * `--network` a namespace with only loopback (a step's own flag wins), `--add-host` entries reach /etc/hosts
 * but no layer, and both are part of the RUN's cache key.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

for (const as of ["root", "user"] as const) {
  Deno.test(`run network: --network none, a step's own --network, --add-host, keys (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}
RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' ' > /ifaces-default
RUN --network=host cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' ' > /ifaces-host
RUN grep db.internal /etc/hosts > /hosts-seen || true
RUN hostname > /hostname; grep -c "127.0.0.1.*localhost buildkitsandbox" /etc/hosts > /hostname-in-hosts
`,
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    const build = async (dest: string, ...extra: string[]) => {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", ...extra, "--output", `type=local,dest=${out}/${dest}`, ctx], { as });
      assertEquals(r.code, 0, r.stderr);
      return r.stderr;
    };
    try {
      await build("plain");
      await build("none", "--network", "none", "--add-host", "db.internal:10.1.2.3");
      const read = (d: string, f: string) => Deno.readTextFile(`${out}/${d}/${f}`);
      assertEquals((await read("none", "ifaces-default")).trim(), "lo", "--network none leaves only loopback");
      const hostIfaces = (await read("none", "ifaces-host")).trim().split(" ");
      assert(hostIfaces.length > 1, `a step's own --network=host wins: ${hostIfaces}`);
      assertEquals((await read("plain", "ifaces-default")).trim(), hostIfaces.join(" "), "default is the host's network");
      assertEquals(await read("none", "hosts-seen"), "10.1.2.3\tdb.internal\n");
      assertEquals(await read("plain", "hosts-seen"), "");
      // BuildKit's container hostname, in /etc/hosts too (bench/parity.sh case run-environment).
      assertEquals([await read("plain", "hostname"), await read("plain", "hostname-in-hosts")], ["buildkitsandbox\n", "1\n"]);
      // /etc/hosts is supplied at run time, never committed.
      const etc = [...Deno.readDirSync(`${out}/none/etc`)].map((e) => e.name);
      assert(!etc.includes("hosts") || !(await read("none", "etc/hosts")).includes("db.internal"), etc.join(" "));

      // Same flags again: all cached. Another host entry: only the RUNs rerun.
      assertEquals(steps(await build("again", "--network", "none", "--add-host", "db.internal:10.1.2.3")).ran, []);
      const changed = steps(await build("other", "--network", "none", "--add-host", "db.internal:10.9.9.9"));
      assertEquals(changed.ran.filter((s) => s.startsWith("RUN")).length, 4, changed.ran.join("|"));
      assertEquals(await read("other", "hosts-seen"), "10.9.9.9\tdb.internal\n");

      const bad = await runTsbuild(["build", "--root", store, "--network", "bridge0", ctx], { as });
      assertEquals(bad.code, 2, bad.stderr);
      assertStringIncludes(bad.stderr, "--network bridge0: use default, none or host");
      const badHost = await runTsbuild(["build", "--root", store, "--add-host", "nocolon", ctx], { as });
      assertStringIncludes(badHost.stderr, "--add-host nocolon: expected host:ip");
      // docker's --rm is accepted; a --cache-from that cannot be read never fails a build (cache_export_test.ts).
      const ignored = await runTsbuild(["build", "--root", store, "--rm", "--cache-from", "type=registry,ref=127.0.0.1:1/x/y", ctx], { as });
      assertEquals(ignored.code, 0, ignored.stderr);
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}
