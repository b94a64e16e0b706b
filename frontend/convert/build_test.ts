/**
 * The converter's graph run for real: a local registry, the solver, runc and overlay mounts (as root, in a private
 * mount namespace). Checks what ends up in the built filesystem and image config, not the graph's shape.
 */
import { assert, assertEquals, assertStringIncludes } from "../../test/util/assert.ts";
import { startRegistry } from "../../test/util/registry.ts";
import { pushBusyboxImage } from "../../test/util/base_image.ts";
import type { ImageConfig, ImageIndex, ImageManifest } from "../../oci/mod.ts";

const isRoot = Deno.uid() === 0;

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await Deno.readTextFile(path)) as T;
}

async function blob<T>(layout: string, digest: string): Promise<T> {
  return await readJson<T>(`${layout}/blobs/${digest.replace(":", "/")}`);
}

function dockerfile(base: string, registry: string): string {
  return `ARG BASE=${base}
ARG GLOBAL=global-default
FROM \${BASE} AS tools
RUN echo tool > /tool.txt

FROM ${registry}/does/not/exist:1 AS unused
RUN exit 1

FROM \${BASE}
ARG GLOBAL
ARG WHO=nobody
ARG SHADOW=from-arg
ENV SHADOW=from-env APP=/app
USER 1234:5678
WORKDIR $APP/sub
USER root
COPY hello.txt ./
COPY --from=0 /tool.txt /tool.txt
COPY <<EOF /greet.txt
hi $WHO from $APP
EOF
RUN <<EOF
echo "script: $WHO $GLOBAL $SHADOW" > /script.txt
EOF
RUN <<EOF
#!/bin/sh -e
echo "shebang: $0" > /shebang.txt
EOF
RUN --mount=type=cache,target=/cache --mount=type=bind,from=tools,target=/t cp /t/tool.txt /from-mount.txt
RUN stat -c '%u:%g' /app/sub > /owner.txt && pwd > /pwd.txt && echo "$HTTP_PROXY" > /proxy.txt
CMD ["cat", "/greet.txt"]
`;
}

Deno.test({
  name: "convert → solve: ARG scoping, WORKDIR ownership, heredocs, mounts and stages behave in a real build",
  ignore: !isRoot,
  async fn() {
    const registry = await startRegistry();
    const dirs: string[] = [];
    const tmp = async () => {
      const d = await Deno.makeTempDir({ prefix: "tsbuild-convert-" });
      dirs.push(d);
      return d;
    };
    try {
      const base = await pushBusyboxImage(registry.host);
      const context = await tmp();
      await Deno.writeTextFile(`${context}/hello.txt`, "hello file\n");
      await Deno.writeTextFile(`${context}/Dockerfile`, dockerfile(base, registry.host));
      const [fsOut, ociOut, store] = [await tmp(), await tmp(), await tmp()];
      const req = {
        context,
        fsOut,
        ociOut,
        store,
        buildArgs: { WHO: "tester", HTTP_PROXY: "http://proxy.invalid:3128" },
        labels: { "org.example.cli": "yes" },
        insecure: [registry.host],
      };
      const probe = new URL("./testdata/build_probe.ts", import.meta.url).pathname;
      const root = new URL("../../", import.meta.url).pathname;
      const out = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "--propagation",
          "private",
          "--fork",
          Deno.execPath(),
          "run",
          "-A",
          "--config",
          `${root}deno.json`,
          probe,
          JSON.stringify(req),
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, `build failed:\n${stderr}\n${new TextDecoder().decode(out.stdout)}`);

      const file = (name: string) => Deno.readTextFile(`${fsOut}/${name}`);
      assertEquals(await file("greet.txt"), "hi tester from /app\n");
      assertEquals(await file("script.txt"), "script: tester global-default from-env\n");
      assertEquals(await file("shebang.txt"), "shebang: /dev/pipes/EOF\n");
      assertEquals(await file("from-mount.txt"), "tool\n");
      assertEquals(await file("tool.txt"), "tool\n");
      assertEquals(await file("owner.txt"), "1234:5678\n");
      assertEquals(await file("pwd.txt"), "/app/sub\n");
      assertEquals(await file("app/sub/hello.txt"), "hello file\n");
      assertEquals(await file("proxy.txt"), "http://proxy.invalid:3128\n");

      const index = await readJson<ImageIndex>(`${ociOut}/index.json`);
      const manifest = await blob<ImageManifest>(ociOut, index.manifests[0].digest);
      const config = await blob<ImageConfig>(ociOut, manifest.config.digest);
      const env = config.config?.Env ?? [];
      assert(env.includes("SHADOW=from-env") && env.includes("APP=/app"), env.join(" "));
      assert(!env.some((e) => /^(WHO|GLOBAL|HTTP_PROXY)=/.test(e)), `build args leaked into Env: ${env.join(" ")}`);
      assertEquals(config.config?.Cmd, ["cat", "/greet.txt"]);
      assertEquals(config.config?.WorkingDir, "/app/sub");
      assertEquals(config.config?.Labels?.["org.example.cli"], "yes");
      const history = (config.history ?? []).map((h) => h.created_by ?? "");
      assert(history.includes("WORKDIR /app/sub"), history.join("\n"));
      assert(history.includes("COPY hello.txt ./ # buildkit"), history.join("\n"));
      const run = history.find((h) => h.includes("stat -c"))!;
      assertStringIncludes(run, "RUN |3 GLOBAL=global-default WHO=tester SHADOW=from-env /bin/sh -c stat");
      assert(!history.some((h) => h.includes("proxy.invalid")), "proxy values must stay out of history");
      // One layer per non-empty history step, base layers included.
      assertEquals(manifest.layers.length, (config.history ?? []).filter((h) => !h.empty_layer).length);
    } finally {
      await registry.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  },
});
