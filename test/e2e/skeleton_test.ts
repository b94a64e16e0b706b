/**
 * The walking skeleton (issue #2), end to end as a user runs it: `tsbuild build -t … --push CONTEXT`, as root and
 * as an unprivileged user, checked with tools we did not write (skopeo, umoci, runc).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { runImage, skopeoInspect, skopeoInspectConfig, unpackWithUmoci } from "../util/oci_check.ts";
import { makeContext, makeStore, makeTar, removeAll } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const DOCKERFILE = `# a two-stage build exercising the skeleton's instruction subset
ARG BASE=${base}
FROM \${BASE} AS build
ARG GREETING=hello
WORKDIR /src
COPY greet.txt ./
RUN echo "\${GREETING} from build" > out.txt && \\
    cat greet.txt >> out.txt
RUN ["/bin/sh", "-c", "echo exec-form >> /src/out.txt"]

FROM \${BASE} AS unused
RUN exit 1

FROM \${BASE}
LABEL org.example.k="v 1" other=2
ENV APP_HOME=/app PATH=/app/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR \$APP_HOME
COPY --from=build /src/out.txt ./out.txt
ADD files.tar /app/extracted/
RUN mkdir -p /app/bin && printf '#!/bin/sh\\ncat /app/out.txt /app/extracted/a.txt\\n' > /app/bin/show && chmod 755 /app/bin/show && chown 1234:5678 /app/out.txt
EXPOSE 8080 53/udp
USER 1234:5678
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["show"]
`;

for (const as of ["root", "user"] as const) {
  Deno.test(`skeleton: multi-stage build and push as ${as}`, async () => {
    const ctx = await makeContext({
      "Dockerfile": DOCKERFILE,
      "greet.txt": "greetings file\n",
      "files.tar": await makeTar({ "a.txt": "from tar\n" }),
    });
    const store = await makeStore(as === "user" ? user : undefined);
    const ref = `${registry.host}/e2e/${as}:1`;
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx], { as });
      assertEquals(r.code, 0, `build failed:\n${r.stderr}`);
      assertStringIncludes(r.stderr, "RUN echo");
      if (as === "user") assert(!/no \/etc\/subuid range/i.test(r.stderr), "the test user has a subuid range");

      const info = await skopeoInspect(ref);
      const cfg = await skopeoInspectConfig(ref);
      assertEquals(cfg.config.Entrypoint, ["/bin/sh", "-c"]);
      assertEquals(cfg.config.Cmd, ["show"]);
      assertEquals(cfg.config.User, "1234:5678");
      assertEquals(cfg.config.WorkingDir, "/app");
      assertEquals(cfg.config.Labels["org.example.k"], "v 1");
      assert("8080/tcp" in cfg.config.ExposedPorts && "53/udp" in cfg.config.ExposedPorts);
      assert(cfg.config.Env.includes("APP_HOME=/app"));
      assert(
        !cfg.config.Env.some((e: string) => e.startsWith("GREETING=") || e.startsWith("BASE=")),
        "build args never reach the config",
      );
      // Layers: the base, WORKDIR /app, COPY --from, ADD, RUN.
      const nonEmpty = cfg.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer);
      assertEquals(nonEmpty.length, info.Layers.length);
      assert(
        cfg.history.some((h: { created_by?: string }) => h.created_by?.startsWith("RUN /bin/sh -c mkdir -p /app/bin")),
      );
      assert(
        cfg.history.some((h: { created_by?: string; empty_layer?: boolean }) =>
          h.created_by === "EXPOSE map[53/udp:{} 8080/tcp:{}]" || (h.created_by?.startsWith("EXPOSE") && h.empty_layer)
        ),
      );

      const rootfs = await unpackWithUmoci(ref);
      const out = await Deno.readTextFile(join(rootfs, "app/out.txt"));
      assertEquals(out, "hello from build\ngreetings file\nexec-form\n");
      const st = await Deno.lstat(join(rootfs, "app/out.txt"));
      assertEquals([st.uid, st.gid], [1234, 5678]);
      assertEquals(await Deno.readTextFile(join(rootfs, "app/extracted/a.txt")), "from tar\n");
      for (const leaked of ["etc/hosts", "etc/resolv.conf"]) {
        const inBase = await Deno.lstat(join(rootfs, leaked)).then(() => true, () => false);
        assert(
          !inBase || (await Deno.readTextFile(join(rootfs, leaked))).length === 0 || leaked === "etc/hosts",
          `${leaked} must not be committed`,
        );
      }
      await removeAll(join(rootfs, ".."));

      assertEquals(await runImage(ref), "hello from build\ngreetings file\nexec-form\nfrom tar\n");

      // A second build of the same inputs is fully cached and pushes the same manifest.
      const again = await runTsbuild(["build", "--root", store, "--progress", "plain", "-t", ref, "--push", ctx], {
        as,
      });
      assertEquals(again.code, 0, again.stderr);
      assertMatch(again.stderr, /CACHED/);
      assert(!/#\d+ \d+\.\d+ /.test(again.stderr), "no step ran on a no-change rebuild");
      assertEquals((await skopeoInspect(ref)).Digest, info.Digest);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });

  Deno.test(`skeleton: failing RUN names the line, the command and the exit code (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo before\nRUN echo oops >&2; exit 3\n` });
    const store = await makeStore(as === "user" ? user : undefined);
    try {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as });
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "Dockerfile:3");
      assertStringIncludes(r.stderr, "exit code: 3");
      assertStringIncludes(r.stderr, "/bin/sh -c echo oops >&2; exit 3");
      assertStringIncludes(r.stderr, "oops");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });

  Deno.test(`skeleton: OCI layout output read by skopeo (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nRUN echo hi > /hi\nCMD ["cat", "/hi"]\n` });
    const store = await makeStore(as === "user" ? user : undefined);
    const outDir = await makeStore(as === "user" ? user : undefined);
    try {
      const r = await runTsbuild(["build", "--root", store, "--output", `type=oci,dest=${outDir}/img.tar`, ctx], {
        as,
      });
      assertEquals(r.code, 0, r.stderr);
      const p = new Deno.Command("skopeo", {
        args: ["inspect", "--config", `oci-archive:${outDir}/img.tar`],
        stdout: "piped",
        stderr: "piped",
      });
      const o = await p.output();
      assert(o.success, new TextDecoder().decode(o.stderr));
      assertEquals(JSON.parse(new TextDecoder().decode(o.stdout)).config.Cmd, ["cat", "/hi"]);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(outDir);
    }
  });
}

const badInputs: [string, Record<string, string>, string[], RegExp][] = [
  ["missing Dockerfile", { "x": "" }, [], /failed to read dockerfile/i],
  [
    "unknown instruction",
    { "Dockerfile": `FROM ${base}\nRUNN echo\n` },
    [],
    /Dockerfile:2.*unknown instruction: RUNN.*did you mean RUN/is,
  ],
  [
    "COPY of a missing file",
    { "Dockerfile": `FROM ${base}\nCOPY nope.txt /\n` },
    [],
    /Dockerfile:2\n-+\n[\s\S]*>>> COPY nope\.txt \/[\s\S]*Dockerfile:2: COPY failed: "\/nope\.txt": not found/,
  ],
  [
    "RUN as an unknown USER",
    { "Dockerfile": `FROM ${base}\nUSER ghost\nRUN true\n` },
    [],
    /Dockerfile:3: RUN failed: unable to find user ghost/,
  ],
  ["unreachable registry", { "Dockerfile": `FROM 127.0.0.1:1/nothing:latest\n` }, [], /127\.0\.0\.1:1/],
  ["unknown base image", { "Dockerfile": `FROM ${registry.host}/does/not-exist:1\n` }, [], /not-exist/],
];
for (const [what, files, extra, expect] of badInputs) {
  for (const as of ["root", "user"] as const) {
    Deno.test(`skeleton: bad input gets a clear error: ${what} (${as})`, async () => {
      const ctx = await makeContext(files);
      const store = await makeStore(as === "user" ? user : undefined);
      try {
        const r = await runTsbuild(["build", "--root", store, "--progress", "plain", ...extra, ctx], { as });
        assert(r.code !== 0, "must fail");
        assertMatch(r.stderr, expect);
        assert(!r.stderr.includes("internal error"), r.stderr);
      } finally {
        await removeAll(ctx);
        await removeAll(store);
      }
    });
  }
}

Deno.test({
  name: "skeleton: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
