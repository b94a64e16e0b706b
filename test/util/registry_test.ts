import { assert, assertEquals, assertRejects } from "./assert.ts";
import { makeTestCertificates } from "./tls.ts";
import { htpasswdEntry, startRegistry } from "./registry.ts";

Deno.test("startRegistry serves /v2/ with deletes enabled, and stop() removes it", async () => {
  const reg = await startRegistry();
  try {
    assert(/^127\.0\.0\.1:\d+$/.test(reg.host), reg.host);
    const res = await fetch(`${reg.url}/v2/`);
    await res.body?.cancel();
    assertEquals(res.status, 200);
    // Upload a blob monolithically, then delete it: 202 only when `delete: enabled: true` took effect.
    const data = new TextEncoder().encode("hello registry");
    const digest = "sha256:" + Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const post = await fetch(`${reg.url}/v2/t/blobs/uploads/`, { method: "POST" });
    await post.body?.cancel();
    assertEquals(post.status, 202);
    const location = new URL(post.headers.get("location")!, reg.url);
    location.searchParams.set("digest", digest);
    const put = await fetch(location, { method: "PUT", body: data });
    await put.body?.cancel();
    assertEquals(put.status, 201);
    const del = await fetch(`${reg.url}/v2/t/blobs/${digest}`, { method: "DELETE" });
    await del.body?.cancel();
    assertEquals(del.status, 202);
  } finally {
    await reg.stop();
  }
  await Deno.stat(reg.dir).then(() => assert(false, "dir still exists"), () => {});
  const gone = await fetch(`${reg.url}/v2/`).then((r) => r.body?.cancel(), (e) => e);
  assert(gone instanceof Error, "registry still answers after stop()");
});

Deno.test("startRegistry with htpasswd requires basic auth", async () => {
  const reg = await startRegistry({ htpasswd: await htpasswdEntry("alice", "s3cret") });
  try {
    const anon = await fetch(`${reg.url}/v2/`);
    await anon.body?.cancel();
    assertEquals(anon.status, 401);
    const ok = await fetch(`${reg.url}/v2/`, { headers: { authorization: "Basic " + btoa("alice:s3cret") } });
    await ok.body?.cancel();
    assertEquals(ok.status, 200);
    const bad = await fetch(`${reg.url}/v2/`, { headers: { authorization: "Basic " + btoa("alice:wrong") } });
    await bad.body?.cancel();
    assertEquals(bad.status, 401);
  } finally {
    await reg.stop();
  }
});

Deno.test("startRegistry with tls serves https with the given certificate", async () => {
  const certs = await makeTestCertificates();
  try {
    const reg = await startRegistry({ tls: { cert: certs.cert, key: certs.key } });
    try {
      assert(reg.url.startsWith("https://"));
      const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(certs.caCert)] });
      const res = await fetch(`${reg.url}/v2/`, { client });
      await res.body?.cancel();
      client.close();
      assertEquals(res.status, 200);
      // Without trusting the CA the same request must fail: the registry really is serving that certificate.
      await assertRejects(() => fetch(`${reg.url}/v2/`));
    } finally {
      await reg.stop();
    }
  } finally {
    await Deno.remove(certs.dir, { recursive: true });
  }
});
