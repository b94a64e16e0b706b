/**
 * The solver and its cache (issue #4), end to end through the CLI as root and as an unprivileged user: no-change
 * rebuilds are fully cached, a changed file re-runs only what depends on it, `--explain` names the cause,
 * independent stages overlap, a failure cancels its siblings, two builds share one store at once.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const DOCKERFILE = `FROM ${base} AS deps
COPY deps.txt /deps.txt
RUN cp /deps.txt /deps.copy

FROM ${base} AS app
ARG FLAVOR=plain
COPY src/ /src/
RUN cat /src/* > /app.txt && echo $FLAVOR >> /app.txt

FROM ${base}
COPY --from=deps /deps.copy /deps
COPY --from=app /app.txt /app
`;

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`cache: no-change rebuild, one-file change, unrelated stages, --explain, --no-cache-filter (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": DOCKERFILE,
      "deps.txt": "d1\n",
      "src/a.txt": "a1\n",
      "src/b.txt": "b1\n",
      "notes.md": "n",
    });
    const store = await makeStore(owner);
    const build = async (...extra: string[]) => {
      const r = await runTsbuild(["build", "--root", store, "--progress", "plain", ...extra, ctx], { as });
      assertEquals(r.code, 0, r.stderr);
      return r.stderr;
    };
    try {
      const first = steps(await build());
      assert(first.ran.some((s) => s.startsWith("RUN cat")), "first build runs every step");

      const again = steps(await build());
      assertEquals(again.ran, [], "a no-change rebuild runs nothing");

      // A file nothing copies changes: still nothing runs.
      await Deno.writeTextFile(join(ctx, "notes.md"), "changed");
      assertEquals(steps(await build()).ran, []);

      // One source file of the app stage changes: only the app stage's COPY/RUN and the final COPY of its output re-run.
      await Deno.writeTextFile(join(ctx, "src/b.txt"), "b2\n");
      const out = await build("--explain");
      const changed = steps(out);
      assert(changed.ran.some((s) => s.startsWith("COPY src/")), changed.ran.join("|"));
      assert(!changed.ran.some((s) => s.includes("deps")), `the deps stage must stay cached: ${changed.ran.join("|")}`);
      assertMatch(out, /cache miss: context files changed: src\/[^\n]*src\/b\.txt/);

      // A build arg change is explained as such.
      const argOut = await build("--explain", "--build-arg", "FLAVOR=spicy");
      assertMatch(argOut, /cache miss: build arg or env FLAVOR changed/);

      // --no-cache-filter re-runs only the named stage.
      const filtered = steps(await build("--build-arg", "FLAVOR=spicy", "--no-cache-filter", "deps"));
      assert(filtered.ran.some((s) => s.startsWith("RUN cp /deps.txt")), filtered.ran.join("|"));
      assert(!filtered.ran.some((s) => s.startsWith("RUN cat")), filtered.ran.join("|"));
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });

  Deno.test(`cache: independent stages run concurrently; a failure cancels its siblings (${as})`, async () => {
    const stages = [1, 2, 3, 4].map((i) =>
      `FROM ${base} AS s${i}\nRUN cut -d" " -f1 /proc/uptime > /start && sleep 2 && cut -d" " -f1 /proc/uptime > /end\n`
    ).join("\n");
    const final = `FROM ${base}\n` + [1, 2, 3, 4].map((i) => `COPY --from=s${i} /start /end /t${i}/\n`).join("");
    const ctx = await makeContext({ "Dockerfile": stages + final });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      const r = await runTsbuild([
        "build",
        "--root",
        store,
        "--max-parallelism",
        "4",
        "--output",
        `type=local,dest=${out}/fs`,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      const spans = await Promise.all([1, 2, 3, 4].map(async (i) => [
        Number((await Deno.readTextFile(`${out}/fs/t${i}/start`)).trim()),
        Number((await Deno.readTextFile(`${out}/fs/t${i}/end`)).trim()),
      ]));
      // Every pair of stages overlapped in time: they ran side by side, not one after another.
      for (const a of spans) for (const b of spans) assert(a[0] < b[1] && b[0] < a[1], "stages did not overlap");

      const failing =
        `FROM ${base} AS slow\nRUN sleep 30 && echo cancelled-marker-${as} | tr a-z A-Z\nFROM ${base} AS bad\nRUN sleep 1; exit 7\nFROM ${base}\nCOPY --from=slow /etc/passwd /a\nCOPY --from=bad /etc/passwd /b\n`;
      const ctx2 = await makeContext({ "Dockerfile": failing });
      const f = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx2], { as });
      assertEquals(f.code, 1);
      assertStringIncludes(f.stderr, "exit code: 7");
      assert(!/^#\d+ [\d.]+ CANCELLED-MARKER/m.test(f.stderr), "the slow sibling was stopped before it printed");
      const ps = await new Deno.Command("pgrep", { args: ["-f", `cancelled-marker-${as}`], stdout: "piped" }).output();
      assertEquals(new TextDecoder().decode(ps.stdout).trim(), "", "no process of the cancelled sibling is left");
      await removeAll(ctx2);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(out);
    }
  });

  Deno.test(`cache: two builds on one store at once both succeed and share the cache (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}\nCOPY a.txt /a\nRUN sleep 1 && cat /a > /b\n`,
      "a.txt": "same",
    });
    const store = await makeStore(owner);
    try {
      const [r1, r2] = await Promise.all([
        runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as }),
        runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as }),
      ]);
      assertEquals([r1.code, r2.code], [0, 0], r1.stderr + r2.stderr);
      const third = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as });
      assertEquals(steps(third.stderr).ran, [], third.stderr);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`cache: prune never breaks a running build, keeps named images, drops the cache (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    // /noise makes a layer kept as its snapshot (snapshotter/derived_layers.ts): prune must write it out first.
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}\nRUN sleep 2 && echo kept > /kept && head -c 2000000 /dev/urandom > /noise\n`,
    });
    const ctx2 = await makeContext({ "Dockerfile": `FROM named:${as}\nRUN cat /kept && wc -c < /noise\n` });
    const store = await makeStore(owner);
    try {
      const building = runTsbuild(["build", "--root", store, "--progress", "plain", "-t", `named:${as}`, ctx], { as });
      await new Promise((r) => setTimeout(r, 1000));
      const [b, p] = await Promise.all([building, runTsbuild(["prune", "--root", store], { as })]);
      assertEquals([b.code, p.code], [0, 0], b.stderr + p.stderr);
      assertMatch(p.stdout, /Total reclaimed space/);
      // The named image survives (FROM finds it, offline); its steps' cache does not.
      const again = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx2], { as });
      assertEquals(again.code, 0, again.stderr);
      assertStringIncludes(again.stderr, "kept");
      assertMatch(again.stderr, /\b2000000\b/);
      const rebuilt = await runTsbuild(["build", "--root", store, "--progress", "plain", ctx], { as });
      assert(steps(rebuilt.stderr).ran.some((s) => s.startsWith("RUN sleep 2")), "the pruned cache is gone");
      assertEquals((await runTsbuild(["prune", "--all", "--root", store], { as })).code, 0);
      assertEquals((await runTsbuild(["images", "-q", "--root", store], { as })).stdout.trim(), "");
    } finally {
      await removeAll(ctx);
      await removeAll(ctx2);
      await removeAll(store);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`cache: COPY --link does not depend on the steps below it (${as})`, async () => {
    const owner = as === "user" ? user : undefined;
    const ctx = await makeContext({
      "Dockerfile":
        `FROM ${base}\nARG V=1\nRUN echo $V > /r\nCOPY --link l.txt /opt/l.txt\nRUN cat /opt/l.txt /r > /both\n`,
      "l.txt": "linked\n",
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      assertEquals((await runTsbuild(["build", "--root", store, ctx], { as })).code, 0);
      const r = await runTsbuild([
        "build",
        "--root",
        store,
        "--progress",
        "plain",
        "--build-arg",
        "V=2",
        "--output",
        `type=local,dest=${out}/fs`,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      const s = steps(r.stderr);
      assert(
        s.cached.some((x) => x.startsWith("COPY --link l.txt")),
        `the linked copy stays cached: ${JSON.stringify(s)}`,
      );
      assert(s.ran.some((x) => x.startsWith("RUN echo")), JSON.stringify(s));
      assertEquals(await Deno.readTextFile(`${out}/fs/both`), "linked\n2\n");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(out);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`cache: --print=graph prints the graph as JSON and DOT without building (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": DOCKERFILE, "deps.txt": "d", "src/a.txt": "a" });
    const store = await makeStore(as === "user" ? user : undefined);
    try {
      const j = await runTsbuild(["build", "--root", store, "--print=graph", ctx], { as });
      assertEquals(j.code, 0, j.stderr);
      const g = JSON.parse(j.stdout);
      assert(g.vertices.some((v: { kind: string }) => v.kind === "exec"));
      assertEquals(g.stages.length, 3);
      const d = await runTsbuild(["build", "--root", store, "--print=graph-dot", ctx], { as });
      assertMatch(d.stdout, /^digraph tsbuild \{/);
      assertStringIncludes(d.stdout, "->");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}

Deno.test({
  name: "cache: stop the registry",
  fn: async () => await registry.stop(),
  sanitizeResources: false,
  sanitizeOps: false,
});
