import { assertEquals, assertThrows } from "../../test/util/assert.ts";
import { DockerfileError } from "./errors.ts";
import { parseMount } from "./mount.ts";

const at = { file: "Dockerfile", line: 7 };

Deno.test("mount defaults follow BuildKit for every type", () => {
  assertEquals(parseMount("target=/src", at), {
    type: "bind",
    target: "/src",
    from: undefined,
    source: "/",
    readonly: true,
  });
  assertEquals(parseMount("type=bind,src=sub,dst=/s,from=build,rw", at), {
    type: "bind",
    target: "/s",
    from: "build",
    source: "sub",
    readonly: false,
  });
  const cache = parseMount("type=cache,target=/root/.cache", at);
  assertEquals(cache, {
    type: "cache",
    target: "/root/.cache",
    id: "/root/.cache",
    sharing: "shared",
    from: undefined,
    source: "/",
    mode: 0o755,
    uid: 0,
    gid: 0,
    readonly: false,
  });
  const tuned = parseMount("type=cache,id=go,target=/go,sharing=locked,mode=0700,uid=1000,gid=1001,ro", at);
  assertEquals(tuned.type === "cache" && [tuned.id, tuned.sharing, tuned.mode, tuned.uid, tuned.gid, tuned.readonly], [
    "go",
    "locked",
    0o700,
    1000,
    1001,
    true,
  ]);
  assertEquals(parseMount("type=tmpfs,target=/tmp,size=64m", at), {
    type: "tmpfs",
    target: "/tmp",
    size: 64 * 1024 * 1024,
  });
  assertEquals(parseMount("type=secret,id=npmrc", at), {
    type: "secret",
    id: "npmrc",
    required: false,
    mode: 0o400,
    uid: 0,
    gid: 0,
    target: "/run/secrets/npmrc",
  });
  assertEquals(parseMount("type=secret,target=/etc/token,required", at), {
    type: "secret",
    id: "token",
    required: true,
    mode: 0o400,
    uid: 0,
    gid: 0,
    target: "/etc/token",
  });
  assertEquals(parseMount("type=secret,id=tok,env=TOKEN", at), {
    type: "secret",
    id: "tok",
    required: false,
    mode: 0o400,
    uid: 0,
    gid: 0,
    env: "TOKEN",
  });
  assertEquals(parseMount("type=ssh", at), {
    type: "ssh",
    id: "default",
    required: false,
    mode: 0o600,
    uid: 0,
    gid: 0,
  });
});

Deno.test("mount errors say which --mount and which line", () => {
  for (
    const [value, part] of [
      ["type=volume,target=/x", 'unsupported mount type "volume"'],
      ["type=cache", "mount target is required"],
      ["type=cache,target=/x,sharing=maybe", 'unsupported sharing value "maybe"'],
      ["type=tmpfs,target=/x,size=lots", 'invalid size "lots"'],
      ["type=bind,target=/x,size=1", 'unexpected key "size" for bind mount'],
      ["type=cache,target=/x,mode=999", "invalid octal number"],
      ["type=bind,target=/x,target=/y", 'duplicate field "target"'],
      ["type=secret", "secret mount needs an id"],
    ]
  ) {
    const e = assertThrows(() => parseMount(value, at), DockerfileError, part) as DockerfileError;
    assertEquals(e.line, 7);
    assertEquals(e.message.startsWith(`Dockerfile:7: RUN --mount=${value}:`), true, e.message);
  }
});
