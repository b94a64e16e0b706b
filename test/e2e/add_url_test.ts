/**
 * `ADD <url>` and the cache, as root and as an unprivileged user, against a real HTTP server: the step's key covers
 * what the URL serves, so an unchanged file is a hit (a 304 to the ETag of the last fetch, or the same bytes from a
 * server without validators) and a changed one reruns the ADD and what follows; a failing URL names the line.
 */
import { gzipSync } from "node:zlib";
import { assertEquals, assertStringIncludes } from "../util/assert.ts";
import { startRegistry } from "../util/registry.ts";
import { pushBusyboxImage } from "../util/base_image.ts";
import { testUser } from "../util/user.ts";
import { localBuilds, makeContext, makeStore, makeTar, removeAll, steps } from "./fixtures.ts";

const registry = await startRegistry();
const base = await pushBusyboxImage(registry.host);
const user = await testUser();

const files = new Map<string, string | Uint8Array>();
const log: string[] = [];
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const path = new URL(req.url).pathname;
  const body = files.get(path);
  if (body === undefined) return new Response("no such file", { status: 404 });
  // /etag/* answers conditional requests; /plain/* has no validators, so only the bytes tell a change.
  if (path.startsWith("/etag/")) {
    const tag = `"${
      [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body as string)))].slice(0, 8).map((b) =>
        b.toString(16)
      ).join("")
    }"`;
    if (req.headers.get("if-none-match") === tag) {
      log.push(`304 ${path}`);
      return new Response(null, { status: 304, headers: { etag: tag } });
    }
    log.push(`200 ${path}`);
    return new Response(body as string, { headers: { etag: tag } });
  }
  log.push(`200 ${path}`);
  return new Response(body as BodyInit);
});
const url = `http://127.0.0.1:${server.addr.port}`;

for (const as of ["root", "user"] as const) {
  Deno.test(`ADD <url>: keyed on the content served, conditional fetches, errors name the line (${as})`, async () => {
    files.set("/etag/a.txt", "a1\n");
    files.set("/plain/b.txt", "b1\n");
    const ctx = await makeContext({
      "Dockerfile":
        `FROM ${base}\nADD ${url}/etag/a.txt /a.txt\nADD ${url}/plain/b.txt /b.txt\nRUN cat /a.txt /b.txt > /both\n`,
    });
    const store = await makeStore(as === "user" ? user : undefined);
    const out = await makeStore(as === "user" ? user : undefined);
    const exported = localBuilds(store, out, as);
    const build = (...args: string[]) => {
      log.length = 0;
      return exported(ctx, ...args);
    };
    try {
      const first = await build();
      assertEquals(first.code, 0, first.stderr);
      assertEquals(await first.read("both"), "a1\nb1");
      assertEquals(log.sort(), ["200 /etag/a.txt", "200 /plain/b.txt"], "each URL fetched once for key and copy");

      const same = await build();
      assertEquals(steps(same.stderr).ran, []);
      assertEquals(log.sort(), ["200 /plain/b.txt", "304 /etag/a.txt"]);

      files.set("/plain/b.txt", "b2\n");
      const changed = await build("--explain");
      assertEquals(changed.code, 0, changed.stderr);
      assertEquals(steps(changed.stderr).ran, [`ADD ${url}/plain/b.txt /b.txt`, "RUN cat /a.txt /b.txt > /both"]);
      assertStringIncludes(changed.stderr, `the file at ${url}/plain/b.txt changed`);
      assertEquals(await changed.read("both"), "a1\nb2");

      files.set("/etag/a.txt", "a2\n");
      const etagChanged = await build();
      assertEquals(steps(etagChanged.stderr).ran.length, 3, "the first ADD and every step after it");
      assertEquals(await etagChanged.read("both"), "a2\nb2");

      files.delete("/plain/b.txt");
      const gone = await build();
      assertEquals(gone.code, 1, gone.stderr);
      assertStringIncludes(gone.stderr, `Dockerfile:3: ADD failed: downloading ${url}/plain/b.txt: HTTP 404`);
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}

for (const as of ["root", "user"] as const) {
  Deno.test(`ADD --unpack (Dockerfile 1.17): true extracts a URL's archive (with --chown), false keeps a local one (${as})`, async () => {
    const tar = await makeTar({ "inside.txt": "from the archive\n", "d/nested.txt": "n\n" });
    const gz = new Uint8Array(gzipSync(tar));
    files.set("/plain/pkg.tar.gz", gz);
    const ctx = await makeContext({
      "Dockerfile": `FROM ${base}
ADD --unpack=true --chown=1234:5678 ${url}/plain/pkg.tar.gz /opt/
ADD ${url}/plain/pkg.tar.gz /raw/
ADD --unpack=false local.tar /kept/
ADD local.tar /extracted/
RUN ls /raw /kept > /listing && stat -c %u:%g /opt/inside.txt > /owner
`,
      "local.tar": tar,
    });
    const store = await makeStore(as === "user" ? user : undefined);
    const out = await makeStore(as === "user" ? user : undefined);
    try {
      const r = await localBuilds(store, out, as)(ctx);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(await r.read("opt/inside.txt"), "from the archive");
      assertEquals(await r.read("opt/d/nested.txt"), "n");
      assertEquals(await r.read("owner"), "1234:5678");
      assertEquals(await r.read("listing"), "/kept:\nlocal.tar\n\n/raw:\npkg.tar.gz");
      assertEquals(await r.read("extracted/inside.txt"), "from the archive");
    } finally {
      await removeAll(store);
      await removeAll(out);
      await removeAll(ctx);
    }
  });
}

Deno.test("ADD <url>: stop the servers", async () => {
  await server.shutdown();
  await registry.stop();
});
