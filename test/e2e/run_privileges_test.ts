/**
 * Privileges and limits of RUN steps, as root and as an unprivileged user: `RUN --security=insecure` is refused
 * before anything runs unless `--allow security.insecure` grants it, and then gets every capability (a plain RUN
 * keeps Docker's default set); `--ulimit` and `--shm-size` reach every RUN and its cache key; buildx's `--load`,
 * `--provenance=false`, `--annotation`, `-o type=registry,name=…` and `BUILDKIT_INLINE_CACHE=1` work as CI scripts
 * use them.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { skopeoInspectRaw } from "../util/oci_check.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

/** Docker's default capabilities as the CapEff mask /proc/self/status shows (moby oci/caps/defaults.go). */
const DEFAULT_CAPS = 0xa80425fbn;
const CAP_SYS_ADMIN = 21n;

for (const as of ["root", "user"] as const) {
  Deno.test(`run privileges: --allow security.insecure, --ulimit, --shm-size (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}
RUN ulimit -n > /nofile && ulimit -Hn > /nofile-hard && df -k /dev/shm | tail -n 1 | awk '{print $2}' > /shm
RUN --security=insecure grep CapEff /proc/self/status | awk '{print $2}' > /cap-insecure
RUN grep CapEff /proc/self/status | awk '{print $2}' > /cap-default
`,
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    const tsbuild = (...args: string[]) =>
      runTsbuild(["build", "--root", store, "--progress", "plain", ...args, ctx], { as });
    const read = (d: string, f: string) => Deno.readTextFile(`${out}/${d}/${f}`).then((t) => t.trim());
    try {
      // Not granted: refused before any step runs, naming the line.
      const refused = await tsbuild("-o", `type=local,dest=${out}/refused`);
      assertEquals(refused.code, 1, refused.stderr);
      assertStringIncludes(refused.stderr, "Dockerfile:3: RUN --security=insecure: security.insecure is not allowed");
      assertEquals(steps(refused.stderr).ran, []);

      const granted = await tsbuild("--allow", "security.insecure", "-o", `type=local,dest=${out}/plain`);
      assertEquals(granted.code, 0, granted.stderr);
      assertEquals(await read("plain", "shm"), "65536", "Docker's 64 MiB /dev/shm");
      assertEquals(BigInt("0x" + await read("plain", "cap-default")).toString(16), DEFAULT_CAPS.toString(16));
      const insecure = BigInt("0x" + await read("plain", "cap-insecure"));
      assert((insecure >> CAP_SYS_ADMIN) & 1n, `CAP_SYS_ADMIN in ${insecure.toString(16)}`);
      assertEquals((insecure & DEFAULT_CAPS).toString(16), DEFAULT_CAPS.toString(16));

      const limited = ["--allow", "security.insecure", "--ulimit", "nofile=1024:2048", "--shm-size", "128m"];
      const r = await tsbuild(...limited, "-o", `type=local,dest=${out}/limited`);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(steps(r.stderr).ran.length, 3, "limits are part of every RUN's key");
      assertEquals([await read("limited", "nofile"), await read("limited", "nofile-hard")], ["1024", "2048"]);
      assertEquals(await read("limited", "shm"), "131072");
      const again = await tsbuild(...limited, "-o", `type=local,dest=${out}/again`);
      assertEquals(steps(again.stderr).ran, []);

      // buildx spellings: --load keeps the image in the store, --provenance=false, inline cache as a build arg.
      const tag = `${registry.host}/privileges/${as}:1`;
      const ci = await tsbuild(
        ...limited,
        "--load",
        "--provenance=false",
        "--sbom=false",
        "--build-arg",
        "BUILDKIT_INLINE_CACHE=1",
        "--annotation",
        "org.opencontainers.image.title=app",
        "-o",
        "type=image,annotation.com.example.via-output=yes",
        "-t",
        tag,
      );
      assertEquals(ci.code, 0, ci.stderr);
      const inspect = await runTsbuild(["inspect", "--root", store, tag], { as });
      assertEquals(inspect.code, 0, inspect.stderr);
      const image = JSON.parse(inspect.stdout);
      assert("moby.buildkit.cache.v0" in image.config, "inline cache in the config");
      assertEquals(image.manifest.annotations, {
        "org.opencontainers.image.title": "app",
        "com.example.via-output": "yes",
      });

      // -o type=registry,name=… names and pushes without -t, as buildx CI setups write it.
      const named = `${registry.host}/privileges/${as}:named`;
      const pushed = await tsbuild(...limited, "-o", `type=registry,name=${named},oci-mediatypes=false`);
      assertEquals(pushed.code, 0, pushed.stderr);
      const manifest = await skopeoInspectRaw(named);
      assertEquals(manifest.mediaType, "application/vnd.docker.distribution.manifest.v2+json");

      for (
        const [flags, message] of [
          [["--ulimit", "nofile=many"], "--ulimit nofile=many: expected name=soft[:hard]"],
          [["--ulimit", "nofile=10:5"], "the soft limit 10 is above the hard limit 5"],
          [["--shm-size", "lots"], "--shm-size lots: expected a size"],
          [["--allow", "device"], "--allow device: use security.insecure or network.host"],
          [["--sbom=true"], "tsbuild does not make SBOM attestations"],
          [["--annotation", "nokey"], "--annotation nokey: expected [TYPE[PLATFORM]:]KEY=VALUE"],
        ] as const
      ) {
        const bad = await tsbuild(...flags);
        assertEquals(bad.code, 2, bad.stderr);
        assertStringIncludes(bad.stderr, message);
      }
      // An image without an index has no place for index annotations (BuildKit's words).
      const noIndex = await tsbuild("--allow", "security.insecure", "--annotation", "index:k=v");
      assertEquals(noIndex.code, 1, noIndex.stderr);
      assertStringIncludes(noIndex.stderr, "index annotations are not supported for single platform export");
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}
