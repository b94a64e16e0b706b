import { assert, assertEquals } from "../test/util/assert.ts";
import { CacheMounts, CacheSeedError } from "./cache_mounts.ts";

const req = { id: "go-build", mode: 0o750, uid: 1234, gid: 5678 };

Deno.test("a cache dir persists across uses and gets mode and owner on creation", async () => {
  const dir = await Deno.makeTempDir();
  const caches = new CacheMounts(dir);
  const a = await caches.acquire({ ...req, sharing: "shared" });
  const st = await Deno.stat(a.path);
  assertEquals([st.mode! & 0o7777, st.uid, st.gid], [0o750, 1234, 5678]);
  await Deno.writeTextFile(`${a.path}/obj`, "compiled");
  await a.release();
  const b = await new CacheMounts(dir).acquire({ ...req, sharing: "shared" });
  assertEquals([b.path, await Deno.readTextFile(`${b.path}/obj`)], [a.path, "compiled"]);
  await b.release();
});

Deno.test("ids are isolated from each other and cannot name paths outside the store", async () => {
  const dir = await Deno.makeTempDir();
  const caches = new CacheMounts(dir);
  const a = await caches.acquire({ ...req, id: "../../etc", sharing: "shared" });
  const b = await caches.acquire({ ...req, id: "other", sharing: "shared" });
  assert(a.path.startsWith(dir + "/") && !a.path.includes(".."), a.path);
  assert(a.path !== b.path);
  await a.release();
  await b.release();
});

Deno.test("shared users hold the same dir at once", async () => {
  const caches = new CacheMounts(await Deno.makeTempDir());
  const [a, b] = await Promise.all([
    caches.acquire({ ...req, sharing: "shared" }),
    caches.acquire({ ...req, sharing: "shared" }),
  ]);
  assertEquals(a.path, b.path);
  await a.release();
  await b.release();
});

Deno.test("private users get distinct dirs while concurrent, and reuse freed ones", async () => {
  const caches = new CacheMounts(await Deno.makeTempDir());
  const a = await caches.acquire({ ...req, sharing: "private" });
  const b = await caches.acquire({ ...req, sharing: "private" });
  assert(a.path !== b.path, "concurrent private users shared a dir");
  await Deno.writeTextFile(`${a.path}/mine`, "a");
  await a.release();
  const c = await caches.acquire({ ...req, sharing: "private" });
  assertEquals(await Deno.readTextFile(`${c.path}/mine`), "a");
  await b.release();
  await c.release();
});

Deno.test("locked users take turns within a process", async () => {
  const caches = new CacheMounts(await Deno.makeTempDir());
  const order: string[] = [];
  const first = await caches.acquire({ ...req, sharing: "locked" });
  const second = caches.acquire({ ...req, sharing: "locked" }).then((l) => {
    order.push("second acquired");
    return l;
  });
  await new Promise((r) => setTimeout(r, 200)); // gives a broken lock the chance to show; the assertion is on order
  order.push("first released");
  await first.release();
  await (await second).release();
  assertEquals(order, ["first released", "second acquired"]);
});

Deno.test("locked users take turns across processes", async () => {
  const dir = await Deno.makeTempDir();
  const holder = `
    import { CacheMounts } from ${JSON.stringify(new URL("./cache_mounts.ts", import.meta.url).href)};
    const l = await new CacheMounts(${JSON.stringify(dir)}).acquire(${JSON.stringify({ ...req, sharing: "locked" })});
    console.log("held");
    for await (const _ of Deno.stdin.readable) break;
    await new Promise((r) => setTimeout(r, 200));
    await Deno.writeTextFile(${JSON.stringify(dir + "/order")}, "holder released\\n", { append: true });
    await l.release();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", holder],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  assertEquals(new TextDecoder().decode(first.value), "held\n");
  const mine = new CacheMounts(dir).acquire({ ...req, sharing: "locked" });
  await child.stdin.close();
  const lease = await mine;
  await Deno.writeTextFile(`${dir}/order`, "parent acquired\n", { append: true });
  await lease.release();
  reader.releaseLock();
  await child.stdout.cancel();
  assert((await child.status).success);
  assertEquals(await Deno.readTextFile(`${dir}/order`), "holder released\nparent acquired\n");
});

Deno.test("a cache with a seed starts as a copy of it (owners, modes, content); the seed is only read once", async () => {
  const dir = await Deno.makeTempDir();
  const src = await Deno.makeTempDir();
  await Deno.mkdir(`${src}/sub`);
  await Deno.writeTextFile(`${src}/sub/f`, "seeded");
  await Deno.chown(`${src}/sub/f`, 4321, 8765);
  await Deno.chmod(`${src}/sub/f`, 0o640);
  let seeds = 0, released = 0;
  const seed = () => {
    seeds++;
    return Promise.resolve({ path: src, release: () => Promise.resolve(void released++) });
  };
  const caches = new CacheMounts(dir);
  const a = await caches.acquire({ ...req, id: "seeded", sharing: "shared", seed });
  const st = await Deno.lstat(`${a.path}/sub/f`);
  assertEquals([await Deno.readTextFile(`${a.path}/sub/f`), st.mode! & 0o777, st.uid, st.gid], [
    "seeded",
    0o640,
    4321,
    8765,
  ]);
  await Deno.writeTextFile(`${a.path}/sub/f`, "changed by a RUN");
  await a.release();
  const b = await caches.acquire({ ...req, id: "seeded", sharing: "shared", seed });
  assertEquals(await Deno.readTextFile(`${b.path}/sub/f`), "changed by a RUN");
  await b.release();
  assertEquals([seeds, released], [1, 1]);
  await Deno.remove(src, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a seed that cannot be copied fails the acquire with CacheSeedError and leaves no half-made cache", async () => {
  const dir = await Deno.makeTempDir();
  const caches = new CacheMounts(dir);
  const seed = () => Promise.resolve({ path: `${dir}/does-not-exist`, release: () => Promise.resolve() });
  let err: unknown;
  await caches.acquire({ ...req, id: "bad-seed", sharing: "shared", seed }).catch((e) => err = e);
  assert(err instanceof CacheSeedError, String(err));
  assert((err as Error).message.includes("bad-seed"));
  const c = await caches.acquire({ ...req, id: "bad-seed", sharing: "shared" });
  assertEquals(await Array.fromAsync(Deno.readDir(c.path)), []);
  await c.release();
  await Deno.remove(dir, { recursive: true });
});
