import { assertEquals } from "../test/util/assert.ts";
import { getCredentials, login, logout } from "./docker_config.ts";

Deno.test("login writes docker's base64 auth entry, getCredentials reads it back, logout removes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ auths: { "other.io": { auth: btoa("o:p") } }, detachKeys: "ctrl-x" }),
    );
    await login("127.0.0.1:5000", "alice", "s3cr:et", { dir });
    await login("docker.io", "bob", "pw", { dir });
    const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assertEquals(cfg.auths["127.0.0.1:5000"].auth, btoa("alice:s3cr:et"));
    assertEquals(cfg.auths["https://index.docker.io/v1/"].auth, btoa("bob:pw"));
    assertEquals(cfg.detachKeys, "ctrl-x", "other settings survive");
    assertEquals((await Deno.stat(`${dir}/config.json`)).mode! & 0o777, 0o600);
    assertEquals(await getCredentials("127.0.0.1:5000", dir), { username: "alice", password: "s3cr:et" });
    assertEquals(await getCredentials("docker.io", dir), { username: "bob", password: "pw" });
    assertEquals(await getCredentials("https://index.docker.io/v1/", dir), { username: "bob", password: "pw" });
    assertEquals(await getCredentials("other.io", dir), { username: "o", password: "p" });
    assertEquals(await getCredentials("nowhere.io", dir), undefined);
    assertEquals(await logout("127.0.0.1:5000", { dir }), true);
    assertEquals(await getCredentials("127.0.0.1:5000", dir), undefined);
    assertEquals(await logout("127.0.0.1:5000", { dir }), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identity tokens, full-URL keys and credential helpers are honoured", async () => {
  const dir = await Deno.makeTempDir();
  const bin = await Deno.makeTempDir();
  try {
    // A real helper program speaking docker's credential-helper protocol, backed by a file.
    await Deno.writeTextFile(
      `${bin}/docker-credential-filetest`,
      `#!/bin/sh
store="${bin}/store"
case "$1" in
  get) read host; if grep -q "^$host " "$store" 2>/dev/null; then grep "^$host " "$store" | cut -d' ' -f2-; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store) read json; host=$(echo "$json" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/'); u=$(echo "$json" | sed 's/.*"Username":"\\([^"]*\\)".*/\\1/'); s=$(echo "$json" | sed 's/.*"Secret":"\\([^"]*\\)".*/\\1/'); echo "$host {\\"Username\\":\\"$u\\",\\"Secret\\":\\"$s\\"}" >> "$store" ;;
  erase) read host; grep -v "^$host " "$store" > "$store.new"; mv "$store.new" "$store" ;;
esac
`,
      { mode: 0o755 },
    );
    const path = Deno.env.get("PATH");
    Deno.env.set("PATH", `${bin}:${path}`);
    try {
      await Deno.writeTextFile(
        `${dir}/config.json`,
        JSON.stringify({
          auths: { "https://tok.io/v2/": { identitytoken: "refresh-me" } },
          credHelpers: { "helped.io": "filetest" },
        }),
      );
      assertEquals(await getCredentials("tok.io", dir), { identityToken: "refresh-me" });
      assertEquals(await getCredentials("helped.io", dir), undefined);
      await login("helped.io", "carol", "pw2", { dir });
      assertEquals(await getCredentials("helped.io", dir), { username: "carol", password: "pw2" });
      const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
      assertEquals(cfg.auths["helped.io"], {}, "the secret stays in the helper, not the file");
      await logout("helped.io", { dir });
      assertEquals(await getCredentials("helped.io", dir), undefined);
    } finally {
      Deno.env.set("PATH", path!);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(bin, { recursive: true });
  }
});
