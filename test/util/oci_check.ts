/**
 * Independent readers of built images for tests: only skopeo, umoci and runc, never tsbuild code, so a test
 * checks what other tools see. References without a transport are taken as `docker://` on a plain-HTTP registry.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
export type Json = any;

const dec = new TextDecoder();

/** `skopeo inspect` (Digest, Layers, Architecture, ...) of `ref`. */
export async function skopeoInspect(ref: string): Promise<Json> {
  return JSON.parse(await tool("skopeo", ["inspect", ...tlsFlag(ref, "--tls-verify=false"), transport(ref)]));
}

/** The image config (OCI/Docker config JSON: config, rootfs, history) of `ref`. */
export async function skopeoInspectConfig(ref: string): Promise<Json> {
  return JSON.parse(
    await tool("skopeo", ["inspect", "--config", ...tlsFlag(ref, "--tls-verify=false"), transport(ref)]),
  );
}

/** The raw manifest (or index) of `ref`, as the registry serves it. */
export async function skopeoInspectRaw(ref: string): Promise<Json> {
  return JSON.parse(await tool("skopeo", ["inspect", "--raw", ...tlsFlag(ref, "--tls-verify=false"), transport(ref)]));
}

/**
 * Unpacks `ref` with umoci (as root, so ownership is what the layers say) and returns `<dir>/rootfs`; remove
 * `<dir>` (the rootfs's parent) when done.
 */
export async function unpackWithUmoci(ref: string): Promise<string> {
  const bundle = await unpackBundle(ref);
  return `${bundle}/rootfs`;
}

/**
 * Runs `ref` with runc as root the way `docker run ref ...args` would (args replace CMD, ENTRYPOINT kept; USER,
 * ENV and WORKDIR from the config via umoci's generated spec) and returns its stdout. Throws with stderr on a
 * non-zero exit.
 */
export async function runImage(ref: string, args?: string[]): Promise<string> {
  const bundle = await unpackBundle(ref);
  const id = `tsbuild-check-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const specPath = `${bundle}/config.json`;
    const spec = JSON.parse(await Deno.readTextFile(specPath));
    spec.process.terminal = false;
    if (args) {
      const cfg = (await skopeoInspectConfig(ref)).config ?? {};
      spec.process.args = [...(cfg.Entrypoint ?? []), ...args];
    }
    // No network of its own: the host's, as a RUN step has, so nothing needs configuring.
    spec.linux.namespaces = spec.linux.namespaces.filter((n: { type: string }) => n.type !== "network");
    await Deno.writeTextFile(specPath, JSON.stringify(spec));
    const out = await new Deno.Command("runc", {
      args: ["--root", `${bundle}.runc`, "run", "--bundle", bundle, id],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `runc run ${ref} exited ${out.code}: ${dec.decode(out.stderr)}\nstdout: ${dec.decode(out.stdout)}`,
      );
    }
    return dec.decode(out.stdout);
  } finally {
    await new Deno.Command("runc", { args: ["--root", `${bundle}.runc`, "delete", "--force", id], stderr: "null" })
      .output().catch(() => {});
    await Deno.remove(`${bundle}.runc`, { recursive: true }).catch(() => {});
    await Deno.remove(bundle, { recursive: true }).catch(() => {});
  }
}

async function unpackBundle(ref: string): Promise<string> {
  const layout = await Deno.makeTempDir({ prefix: "tsbuild-check-layout-" });
  const bundle = await Deno.makeTempDir({ prefix: "tsbuild-check-bundle-" });
  try {
    await tool("skopeo", [
      "copy",
      "--quiet",
      ...tlsFlag(ref, "--src-tls-verify=false"),
      transport(ref),
      `oci:${layout}:img`,
    ]);
    await Deno.remove(bundle); // umoci wants to create the bundle dir itself
    await tool("umoci", ["unpack", "--image", `${layout}:img`, bundle]);
    return bundle;
  } finally {
    await Deno.remove(layout, { recursive: true }).catch(() => {});
  }
}

function transport(ref: string): string {
  return /^[a-z-]+:/.test(ref) && !/^[^/]+:\d+\//.test(ref) && !/^[^/:]+:[^/]+$/.test(ref) ? ref : `docker://${ref}`;
}

function tlsFlag(ref: string, flag: string): string[] {
  return transport(ref).startsWith("docker://") ? [flag] : [];
}

async function tool(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}: ${dec.decode(out.stderr).trim()}`);
  return dec.decode(out.stdout);
}
