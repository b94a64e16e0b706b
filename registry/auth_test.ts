import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { makeTestImage } from "../test/util/oci_image.ts";
import { startHttpProxy } from "../test/util/registry_proxy.ts";
import { htpasswdEntry, startRegistry } from "../test/util/registry.ts";
import { makeTestCertificates } from "../test/util/tls.ts";
import { parseChallenge } from "./auth.ts";
import { pushTestImage } from "../test/util/push_image.ts";
import { RegistryClient } from "./client.ts";
import { login } from "./docker_config.ts";
import { RegistryError } from "./errors.ts";
import { parseReference } from "./reference.ts";

Deno.test("parseChallenge reads quoted values holding commas", () => {
  assertEquals(
    parseChallenge('Bearer realm="https://auth.io/token",service="reg.io",scope="repository:a/b:pull,push"'),
    {
      scheme: "bearer",
      params: { realm: "https://auth.io/token", service: "reg.io", scope: "repository:a/b:pull,push" },
    },
  );
  assertEquals(parseChallenge('Basic realm="x"')?.scheme, "basic");
  assertEquals(parseChallenge("Negotiate"), undefined);
});

Deno.test("htpasswd Basic auth over TLS with a CA file: login, push, pull; clear errors without or with bad credentials", async () => {
  const certs = await makeTestCertificates();
  const reg = await startRegistry({
    htpasswd: await htpasswdEntry("alice", "wonder"),
    tls: { cert: certs.cert, key: certs.key },
  });
  const cfgDir = await Deno.makeTempDir();
  const clients: RegistryClient[] = [];
  const client = (dir: string) => {
    const c = new RegistryClient({ caFile: certs.caCert, dockerConfigDir: dir });
    clients.push(c);
    return c;
  };
  try {
    const img = await makeTestImage();
    const ref = `${reg.host}/secure/app:1`;
    const anon = await assertRejects(() => pushTestImage(client(cfgDir), ref, img), RegistryError);
    assertStringIncludes(anon.message, `${reg.host}`);
    assertStringIncludes(anon.message, `tsbuild login ${reg.host}`);

    // Without the CA the certificate problem is named, not hidden behind the plain-HTTP fallback.
    const untrusting = new RegistryClient({ dockerConfigDir: cfgDir });
    await assertRejects(() => untrusting.getManifest(parseReference(ref)), RegistryError, "TLS connection failed");

    const checker = client(cfgDir);
    await assertRejects(
      () => checker.checkCredentials(reg.host, "alice", "wrong"),
      RegistryError,
      "refused the username or password",
    );
    await checker.checkCredentials(reg.host, "alice", "wonder");

    await login(reg.host, "alice", "wrong", { dir: cfgDir });
    await assertRejects(() => pushTestImage(client(cfgDir), ref, img), RegistryError, "authentication required");

    await login(reg.host, "alice", "wonder", { dir: cfgDir });
    const c = client(cfgDir);
    assertEquals(await pushTestImage(c, ref, img), ["uploaded", "uploaded"]);
    await c.putManifest(parseReference(ref), img.manifestBytes, img.desc.mediaType);
    const r = await c.resolveImage(parseReference(ref), { os: "linux", architecture: "amd64" });
    assertEquals(r.manifestDigest, img.desc.digest);

    // skopeo agrees, trusting the same CA.
    const certDir = await Deno.makeTempDir();
    await Deno.copyFile(certs.caCert, `${certDir}/ca.crt`);
    const out = await new Deno.Command("skopeo", {
      args: ["inspect", "--cert-dir", certDir, "--creds", "alice:wonder", `docker://${ref}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)).Digest, img.desc.digest);
    await Deno.remove(certDir, { recursive: true });
  } finally {
    clients.forEach((c) => c.close());
    await reg.stop();
    await Deno.remove(cfgDir, { recursive: true });
    await Deno.remove(certs.dir, { recursive: true });
  }
});

/**
 * A token server and a registry front that demands its tokens, as Docker Hub does: anonymous tokens may pull,
 * alice's may also push. Tokens are opaque strings the front maps back to their grants.
 */
async function startBearerFront(upstream: string) {
  const grants = new Map<string, Set<string>>();
  const tokenRequests: string[] = [];
  let counter = 0;
  const ac = new AbortController();
  let tokenUrl = "";
  const tokenServer = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: ({ port }) => (tokenUrl = `http://127.0.0.1:${port}/token`),
  }, async (req) => {
    const url = new URL(req.url);
    let params = url.searchParams;
    let user: string;
    if (req.method === "POST") {
      // OAuth2 refresh-token grant: what docker sends when config.json holds an identitytoken.
      params = new URLSearchParams(await req.text());
      const ok = params.get("grant_type") === "refresh_token" && params.get("refresh_token") === "alice-refresh";
      user = ok ? "alice(refresh)" : "bad";
    } else {
      const auth = req.headers.get("Authorization");
      user = auth === "Basic " + btoa("alice:wonder") ? "alice" : auth ? "bad" : "anonymous";
    }
    if (user === "bad") return new Response("bad credentials", { status: 401 });
    if (params.get("service") !== "test-registry") return new Response("wrong service", { status: 400 });
    const scopes = req.method === "POST"
      ? (params.get("scope") ?? "").split(" ").filter(Boolean)
      : params.getAll("scope");
    tokenRequests.push(`${user} ${scopes.join(" ")}`);
    const granted = new Set<string>();
    for (const s of scopes) {
      const [, repo, actions] = s.split(":");
      for (const a of actions.split(",")) if (a === "pull" || user.startsWith("alice")) granted.add(`${repo}:${a}`);
    }
    const t = `tok-${++counter}`;
    grants.set(t, granted);
    return Response.json({ token: t, expires_in: 300 });
  });
  const front = await startHttpProxy(upstream, {
    before(req, url) {
      const m = /^\/v2\/(.+?)\/(blobs|manifests)\//.exec(url.pathname);
      const need = m ? `${m[1]}:${req.method === "GET" || req.method === "HEAD" ? "pull" : "push"}` : undefined;
      const have = grants.get(req.headers.get("Authorization")?.replace(/^Bearer /, "") ?? "");
      if (have && (!need || have.has(need))) return undefined;
      const scope = m ? `repository:${m[1]}:${need!.endsWith("push") ? "pull,push" : "pull"}` : "";
      return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
        status: 401,
        headers: {
          "WWW-Authenticate": `Bearer realm="${tokenUrl}",service="test-registry"${scope ? `,scope="${scope}"` : ""}`,
        },
      });
    },
  });
  return {
    host: front.host,
    tokenRequests,
    requests: front.requests,
    stop: async () => {
      await front.stop();
      ac.abort();
      await tokenServer.finished;
    },
  };
}

Deno.test("Bearer tokens: anonymous pull, push with credentials, one token per scope", async () => {
  const reg = await startRegistry();
  const front = await startBearerFront(reg.url);
  const cfgDir = await Deno.makeTempDir();
  try {
    const img = await makeTestImage({
      layers: [[{ name: "a", data: "1" }], [{ name: "b", data: "2" }], [{ name: "c", data: "3" }]],
    });
    const ref = `${front.host}/team/app:1`;
    const anon = new RegistryClient({ dockerConfigDir: cfgDir });
    const denied = await assertRejects(() => pushTestImage(anon, ref, img), RegistryError);
    assertStringIncludes(denied.message, front.host);

    await login(front.host, "alice", "wonder", { dir: cfgDir });
    const alice = new RegistryClient({ dockerConfigDir: cfgDir });
    front.tokenRequests.length = 0;
    assertEquals(await pushTestImage(alice, ref, img), ["uploaded", "uploaded", "uploaded", "uploaded"]);
    await alice.putManifest(parseReference(ref), img.manifestBytes, img.desc.mediaType);
    // Four blobs and two manifests, all under one scope: one token.
    assertEquals(front.tokenRequests, ["alice repository:team/app:pull,push"]);

    // Anyone may pull, with an anonymous token.
    const pulled = await anon.resolveImage(parseReference(ref), { os: "linux", architecture: "amd64" });
    assertEquals(pulled.manifestDigest, img.desc.digest);

    // Mounting from another repository asks for pull on the source too.
    front.tokenRequests.length = 0;
    const layer = img.manifest.layers[0];
    const how = await alice.pushBlob(
      parseReference(`${front.host}/team/copy:1`),
      layer,
      () => ReadableStream.from([img.blobs.get(layer.digest)!]),
      {
        mountFrom: ["team/app"],
      },
    );
    assertEquals(how, "mounted");
    assert(
      front.tokenRequests.includes("alice repository:team/copy:pull,push repository:team/app:pull"),
      front.tokenRequests.join("\n"),
    );

    await alice.checkCredentials(front.host, "alice", "wonder");
    await assertRejects(() => alice.checkCredentials(front.host, "alice", "nope"), RegistryError, "token server");

    // An identity token (docker's OAuth2 refresh token) is exchanged by POST and grants push too.
    await Deno.writeTextFile(
      `${cfgDir}/config.json`,
      JSON.stringify({ auths: { [front.host]: { identitytoken: "alice-refresh" } } }),
    );
    front.tokenRequests.length = 0;
    const viaRefresh = new RegistryClient({ dockerConfigDir: cfgDir });
    await viaRefresh.putManifest(parseReference(`${front.host}/team/app:2`), img.manifestBytes, img.desc.mediaType);
    assertEquals(front.tokenRequests, ["alice(refresh) repository:team/app:pull,push"]);

    // Wrong stored password: the token server refuses and the message says what to do.
    await login(front.host, "alice", "nope", { dir: cfgDir });
    const bad = await assertRejects(
      () => new RegistryClient({ dockerConfigDir: cfgDir }).getManifest(parseReference(ref)),
      RegistryError,
    );
    assertStringIncludes(bad.message, `tsbuild login ${front.host}`);
  } finally {
    await front.stop();
    await reg.stop();
    await Deno.remove(cfgDir, { recursive: true });
  }
});
