import { assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import type { FileAction } from "../graph/types.ts";
import { FileOpError } from "./errors.ts";
import { apply, destRootfs, list } from "./testutil_test.ts";

type HttpAction = Extract<FileAction, { action: "http" }>;
const http = (url: string, dest: string, over: Partial<HttpAction> = {}): HttpAction => ({
  action: "http",
  url,
  dest,
  destIsDir: dest.endsWith("/"),
  ...over,
});

const BODY = "downloaded payload\n";
const LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT";

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("ADD <url>: named from the URL, 0600, Last-Modified mtime, checksum verified, never extracted", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/missing") return new Response("nope", { status: 404 });
    return new Response(BODY, { headers: { "last-modified": LAST_MODIFIED } });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dest = await destRootfs();
  const ctx = await Deno.makeTempDir();
  try {
    const good = `sha256:${await sha256(BODY)}`;
    await apply(dest, ctx, [
      http(`${base}/files/tool.tar.gz`, "/dl/", { checksum: good }),
      http(`${base}/files/other.bin`, "/opt/named-by-dest", { chown: { user: "app" }, chmod: "0755" }),
    ]);
    assertEquals(list(`${dest}/dl`), ["tool.tar.gz"]);
    const st = Deno.statSync(`${dest}/dl/tool.tar.gz`);
    assertEquals(st.mode! & 0o7777, 0o600);
    assertEquals(st.mtime!.toUTCString(), LAST_MODIFIED);
    assertEquals(await Deno.readTextFile(`${dest}/dl/tool.tar.gz`), BODY);
    const named = Deno.statSync(`${dest}/opt/named-by-dest`);
    assertEquals([named.uid, named.gid, named.mode! & 0o7777], [1234, 4321, 0o755]);

    const bad = `sha256:${"0".repeat(64)}`;
    const e = await assertRejects(
      () => apply(dest, ctx, [http(`${base}/files/x.bin`, "/bad/", { checksum: bad })]),
      FileOpError,
    );
    assertStringIncludes(e.message, `${base}/files/x.bin`);
    assertStringIncludes(e.message, bad);
    assertStringIncludes(e.message, good);
    assertEquals(list(`${dest}/bad`), [], "a mismatching download leaves nothing behind");

    const nf = await assertRejects(() => apply(dest, ctx, [http(`${base}/missing`, "/m/")]), FileOpError);
    assertStringIncludes(nf.message, "HTTP 404");
  } finally {
    await server.shutdown();
    await Deno.remove(dest, { recursive: true });
    await Deno.remove(ctx, { recursive: true });
  }
});
