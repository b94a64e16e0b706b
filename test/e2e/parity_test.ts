/**
 * Differences from BuildKit found by bench/parity.sh (dockerd 20.10 as the reference, current BuildKit where 20.10
 * has since been fixed), asserted end to end through the CLI as root and as an unprivileged user. Expected values
 * are what BuildKit produced for the same Dockerfile and context:
 * - ONBUILD adds no history entry (config only); its triggers run at the child's FROM;
 * - a redeclared ARG is listed again in RUN's history line (`|3 V=2 W=w V=2`);
 * - COPY of a dir's contents makes the destination 0755 and --chown owned, whatever the source dir's mode;
 * - `COPY ../x` is cleaned from the context root, several sources to a path without `/` leave the last one;
 * - a missing source says `"/missing.txt": not found`;
 * - --chown/WORKDIR owners resolve as BuildKit's file operations (primary group; unknown names 0:0, no error);
 * - an ARG after an ENV of the same name wins in RUN; a child stage sees its parent stage's ARG values.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspectConfig } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

/** The raw config of a layout's image (skopeo's --config drops fields the OCI spec lacks, such as OnBuild). */
async function layoutConfig(layout: string) {
  const index = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
  const blob = (d: string) => `${layout}/blobs/sha256/${d.slice(7)}`;
  const manifest = JSON.parse(await Deno.readTextFile(blob(index.manifests[0].digest)));
  return JSON.parse(await Deno.readTextFile(blob(manifest.config.digest)));
}

/** `path → "mode uid:gid"` of every entry in the layer tars of a layout's image (GNU tar reads the gzip itself). */
async function layerEntries(layout: string): Promise<Map<string, string>[]> {
  const index = JSON.parse(await Deno.readTextFile(`${layout}/index.json`));
  const blob = (d: string) => `${layout}/blobs/sha256/${d.slice(7)}`;
  const manifest = JSON.parse(await Deno.readTextFile(blob(index.manifests[0].digest)));
  const out: Map<string, string>[] = [];
  for (const l of manifest.layers) {
    const o = await new Deno.Command("tar", { args: ["--numeric-owner", "-tvf", blob(l.digest)], stdout: "piped" })
      .output();
    const m = new Map<string, string>();
    for (const line of new TextDecoder().decode(o.stdout).split("\n").filter(Boolean)) {
      // drwxr-xr-x 0/0 0 2020-01-02 03:04 priv/
      const [perm, owner, , , , ...name] = line.split(/\s+/);
      m.set(name.join(" ").replace(/^\.\//, "").replace(/\/$/, "").split(" -> ")[0], `${perm} ${owner}`);
    }
    out.push(m);
  }
  return out;
}

for (const as of ["root", "user"] as const) {
  const owner = as === "user" ? user : undefined;

  Deno.test(`parity: ARG history, ONBUILD, COPY destination dirs, '..' and several sources as BuildKit builds them (${as})`, async () => {
    const parent = `${registry.host}/parity/onbuild-${as}:1`;
    const ctx = await makeContext({
      "Dockerfile": `ARG BASE
FROM \${BASE} AS src
RUN mkdir -p /out/private && echo p > /out/private/p && chmod 700 /out/private

FROM \${BASE}
ARG V=1
ARG W=w
ARG V=2
RUN echo $V > /v
COPY --from=src /out/private /priv
COPY --chown=nobody:nogroup --from=src /out/private /priv-owned
COPY ../a.txt /clamped
COPY a.txt b.txt /last
ONBUILD RUN echo triggered > /triggered
ONBUILD ENV FROM_TRIGGER=yes
`,
      "a.txt": "a\n",
      "b.txt": "b\n",
      "child/Dockerfile": `ARG PARENT\nFROM \${PARENT}\nRUN cat /triggered\n`,
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      const r = await runTsbuild([
        "build",
        "--root",
        store,
        "--build-arg",
        `BASE=${base}`,
        "-t",
        parent,
        "--push",
        "--output",
        `type=oci,dest=${out}/layout,tar=false`,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      const cfg = await layoutConfig(`${out}/layout`);
      const createdBy = cfg.history.map((h: { created_by: string }) => h.created_by);
      assertEquals(createdBy.filter((c: string) => c.startsWith("ONBUILD")), [], "ONBUILD has no history entry");
      assertEquals(cfg.config.OnBuild, ["RUN echo triggered > /triggered", "ENV FROM_TRIGGER=yes"]);
      assert(createdBy.includes("RUN |3 V=2 W=w V=2 /bin/sh -c echo $V > /v # buildkit"), createdBy.join("\n"));

      const layers = await layerEntries(`${out}/layout`);
      const find = (p: string) => layers.map((m) => m.get(p)).filter(Boolean).at(-1);
      // BuildKit: /out/private is 0700, the destination dirs are 0755 (root's, or the --chown owner's).
      assertEquals(find("priv"), "drwxr-xr-x 0/0");
      assertEquals(find("priv-owned"), "drwxr-xr-x 65534/65534");
      assertEquals(find("priv/p"), "-rw-r--r-- 0/0");
      const rootfs = `${out}/rootfs`;
      const l = await runTsbuild([
        "build",
        "--root",
        store,
        "--build-arg",
        `BASE=${base}`,
        "--output",
        `type=local,dest=${rootfs}`,
        ctx,
      ], { as });
      assertEquals(l.code, 0, l.stderr);
      assertEquals(await Deno.readTextFile(`${rootfs}/clamped`), "a\n");
      assertEquals(await Deno.readTextFile(`${rootfs}/last`), "b\n", "several sources to /last: the last stays");
      assertEquals(await Deno.readTextFile(`${rootfs}/v`), "2\n");

      // The child runs the triggers at its FROM; their steps are in its history, ONBUILD is not inherited.
      const child = `${registry.host}/parity/onbuild-child-${as}:1`;
      const c = await runTsbuild([
        "build",
        "--root",
        store,
        "--build-arg",
        `PARENT=${parent}`,
        "-t",
        child,
        "--push",
        `${ctx}/child`,
      ], { as });
      assertEquals(c.code, 0, c.stderr);
      const ccfg = await skopeoInspectConfig(child);
      assertEquals(ccfg.history.slice(-3).map((h: { created_by: string }) => h.created_by), [
        "RUN /bin/sh -c echo triggered > /triggered # buildkit",
        "ENV FROM_TRIGGER=yes",
        "RUN /bin/sh -c cat /triggered # buildkit",
      ]);
      assert(ccfg.config.Env.includes("FROM_TRIGGER=yes"));
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(out);
    }
  });

  Deno.test(`parity: owners and environments as dockerd 20.10 resolved them (${as})`, async () => {
    const ctx = await makeContext({
      "Dockerfile": `ARG BASE
FROM \${BASE} AS parent
ARG LEAK=from-parent
RUN echo "app:x:1500:1600::/home/app:/bin/sh" >> /etc/passwd && echo "grp:x:1700:" >> /etc/group

FROM parent
ENV B=from-env
ARG B=from-arg
COPY --chown=app f /named-user-only
COPY --chown=app:grp f /named-both
COPY --chown=ghost f /unknown-user
COPY --chown=app:ghostgrp f /unknown-group
USER ghost
WORKDIR /ghost-workdir
USER root
RUN echo "$B $LEAK" > /env.txt
`,
      "f": "f\n",
    });
    const store = await makeStore(owner);
    const out = await makeStore(owner);
    try {
      const r = await runTsbuild([
        "build",
        "--root",
        store,
        "--build-arg",
        `BASE=${base}`,
        "--output",
        `type=oci,dest=${out}/layout,tar=false`,
        "--output",
        `type=local,dest=${out}/rootfs`,
        ctx,
      ], { as });
      assertEquals(r.code, 0, r.stderr);
      const layers = await layerEntries(`${out}/layout`);
      const find = (p: string) => layers.map((m) => m.get(p)).filter(Boolean).at(-1)?.split(" ")[1];
      assertEquals(
        ["named-user-only", "named-both", "unknown-user", "unknown-group", "ghost-workdir"].map(find),
        ["1500/1600", "1500/1700", "0/0", "1500/1600", "0/0"],
      );
      assertEquals(await Deno.readTextFile(`${out}/rootfs/env.txt`), "from-arg from-parent\n");
    } finally {
      await removeAll(ctx);
      await removeAll(store);
      await removeAll(out);
    }
  });

  Deno.test(`parity: a missing COPY source fails with BuildKit's "not found" naming the path (${as})`, async () => {
    const ctx = await makeContext({ "Dockerfile": `FROM ${base}\nCOPY missing.txt /app/\n` });
    const store = await makeStore(owner);
    try {
      const r = await runTsbuild(["build", "--root", store, ctx], { as });
      assertEquals(r.code, 1, r.stderr);
      assertStringIncludes(r.stderr, `"/missing.txt": not found`);
    } finally {
      await removeAll(ctx);
      await removeAll(store);
    }
  });
}
