/**
 * Multi-platform builds (`--platform linux/amd64,linux/arm64`) as root and as an unprivileged user, FROM a
 * multi-platform base pushed with skopeo: each platform's RUN steps really run on that platform (arm64 through
 * qemu binfmt), a `FROM --platform=$BUILDPLATFORM` stage sees both platforms' args, the pushed index is read back
 * with skopeo, the iidfile holds the index digest, a rebuild is all cached and yields the same index, outputs
 * write one directory per platform or an OCI layout rooted at the index, and the docker exporter is refused.
 */
import { assert, assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushMultiArchBusybox } from "../util/multiarch_image.ts";
import { runTsbuild, testUser } from "../util/user.ts";
import { skopeoInspectRaw } from "../util/oci_check.ts";
import { makeContext, makeStore, removeAll, steps } from "./fixtures.ts";
import { join } from "node:path";

const registry = await startRegistry();
const base = await pushMultiArchBusybox(registry.host);
const user = await testUser();
// A machine without binfmt_misc cannot run arm64 RUN steps (scripts/foreign_arch.sh registers qemu); CI must.
const emulation = await Deno.stat("/proc/sys/fs/binfmt_misc/qemu-aarch64").then(() => true, () => false);
if (!emulation && Deno.env.get("CI")) {
  throw new Error("qemu-aarch64 is not registered with binfmt_misc (scripts/foreign_arch.sh)");
}

const DOCKERFILE = `FROM --platform=$BUILDPLATFORM ${base} AS tool
ARG TARGETPLATFORM BUILDPLATFORM
RUN echo "on $BUILDPLATFORM for $TARGETPLATFORM" > /note

FROM ${base}
ARG TARGETARCH
COPY --from=tool /note /note
RUN uname -m > /arch && echo $TARGETARCH > /targetarch
`;

async function skopeoConfig(ref: string, arch: string): Promise<{ architecture: string; os: string }> {
  const out = await new Deno.Command("skopeo", {
    args: ["--override-arch", arch, "inspect", "--config", "--tls-verify=false", `docker://${ref}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return "sha256:" + [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

for (const as of ["root", "user"] as const) {
  Deno.test({
    name: `multi-platform: linux/amd64+arm64 pushed as an index, outputs per platform (${as})`,
    ignore: !emulation,
    fn: async () => {
      const owner = as === "user" ? user : undefined;
      const ctx = await makeContext({ "Dockerfile": DOCKERFILE });
      const store = await makeStore(owner);
      const out = await makeStore(owner);
      const tag = `${registry.host}/multi/${as}:1`;
      const tsbuild = (...args: string[]) =>
        runTsbuild(
          ["build", "--root", store, "--progress", "plain", "--platform", "linux/amd64,linux/arm64", ...args],
          { as },
        );
      try {
        const iid = join(out, "iid");
        const annotations = [
          "--annotation",
          "index:org.opencontainers.image.title=multi",
          "--annotation",
          "manifest[linux/arm64]:com.example.arm=yes",
          "--annotation",
          "manifest-descriptor:com.example.entry=1",
        ];
        const built = await tsbuild(
          ...annotations,
          "-t",
          tag,
          "--push",
          "--iidfile",
          iid,
          "-o",
          `type=local,dest=${out}/fs`,
          ctx,
        );
        assertEquals(built.code, 0, built.stderr);
        assertStringIncludes(built.stderr, "[linux/arm64 stage-1 3/3] RUN uname -m");
        assertStringIncludes(built.stderr, "[linux/amd64 stage-1 3/3] RUN uname -m");

        // Read back with skopeo: an OCI index of two manifests, each config naming its platform.
        const raw = await new Deno.Command("skopeo", {
          args: ["inspect", "--raw", "--tls-verify=false", `docker://${tag}`],
          stdout: "piped",
        }).output();
        const index = JSON.parse(new TextDecoder().decode(raw.stdout));
        assertEquals(index.mediaType, "application/vnd.oci.image.index.v1+json");
        assertEquals(
          index.manifests.map((m: { platform: { os: string; architecture: string } }) =>
            `${m.platform.os}/${m.platform.architecture}`
          ),
          ["linux/amd64", "linux/arm64"],
        );
        assertEquals((await Deno.readTextFile(iid)).trim(), await sha256(raw.stdout), "iidfile names the index");
        assertEquals((await skopeoConfig(tag, "arm64")).architecture, "arm64");
        assertEquals((await skopeoConfig(tag, "amd64")).architecture, "amd64");
        const arm = await skopeoInspectRaw(`${registry.host}/multi/${as}@${index.manifests[1].digest}`);
        assertEquals(arm.layers.length, 3, "busybox + COPY + RUN");
        assertEquals(index.annotations, { "org.opencontainers.image.title": "multi" });
        assertEquals(index.manifests[0].annotations, { "com.example.entry": "1" });
        assertEquals(arm.annotations, { "com.example.arm": "yes" });
        const amd = await skopeoInspectRaw(`${registry.host}/multi/${as}@${index.manifests[0].digest}`);
        assertEquals(amd.annotations, undefined);

        // Each platform's filesystem, as its RUN steps made them.
        const read = (p: string) => Deno.readTextFile(join(out, "fs", p)).then((t) => t.trim());
        assertEquals(
          [await read("linux_amd64/arch"), await read("linux_arm64/arch")],
          ["x86_64", "aarch64"],
          "RUN ran on each platform",
        );
        assertEquals([await read("linux_amd64/targetarch"), await read("linux_arm64/targetarch")], ["amd64", "arm64"]);
        assertEquals(await read("linux_arm64/note"), "on linux/amd64 for linux/arm64");
        assertEquals(await read("linux_amd64/note"), "on linux/amd64 for linux/amd64");

        // No change: every step cached, the same index pushed again (history times come from the cached records).
        const again = await tsbuild(...annotations, "-t", tag, "--push", "--iidfile", iid, ctx);
        assertEquals(again.code, 0, again.stderr);
        assertEquals(steps(again.stderr).ran, []);
        assertEquals((await Deno.readTextFile(iid)).trim(), await sha256(raw.stdout));
        // The store names the index; its ID is the index digest (there is no one config).
        const images = await runTsbuild(["images", "--root", store], { as });
        assertEquals(images.code, 0, images.stderr);
        assertStringIncludes(images.stdout, (await sha256(raw.stdout)).slice(7, 19));

        // An OCI layout rooted at the index; skopeo reads each platform from it.
        const oci = await tsbuild("-o", `type=oci,dest=${out}/img.tar`, ctx);
        assertEquals(oci.code, 0, oci.stderr);
        const layoutIndex = await skopeoInspectRaw(`oci-archive:${out}/img.tar`);
        assertEquals(layoutIndex.manifests.length, 2);

        // A docker archive holds no index: refused before anything runs.
        const docker = await tsbuild("-o", `type=docker,dest=${out}/d.tar`, ctx);
        assertEquals(docker.code, 1, docker.stderr);
        assertStringIncludes(docker.stderr, "docker exporter does not currently support exporting manifest lists");
        assert(!docker.stderr.includes("#1 "), docker.stderr);

        // --print=graph: each platform's graph (its base image resolved for it), nothing built.
        const printed = await tsbuild("--print=graph", ctx);
        assertEquals(printed.code, 0, printed.stderr);
        const graphs = JSON.parse(printed.stdout).platforms;
        assertEquals(graphs.map((g: { platform: string }) => g.platform), ["linux/amd64", "linux/arm64"]);

        const bad = await tsbuild("--platform", "linux/amd64,", ctx);
        assertEquals(bad.code, 2, bad.stderr);
      } finally {
        await removeAll(store);
        await removeAll(out);
        await removeAll(ctx);
      }
    },
  });
}
