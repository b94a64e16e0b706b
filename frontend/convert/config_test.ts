import { assertEquals, assertRejects } from "../../test/util/assert.ts";
import { DockerfileError } from "../instructions/mod.ts";
import { convert, createdBy, filesOf, imageConfig } from "./testing.ts";

/** Dockerfile (after `FROM busybox`) → facts about the target's image config and history. */
const TABLE: {
  name: string;
  body: string;
  check: (t: Awaited<ReturnType<typeof convert>>) => unknown;
  want: unknown;
}[] = [
  {
    name: "CMD shell form uses the default shell, exec form is kept",
    body: 'CMD echo $HOME\nCMD ["/app", "--flag"]',
    check: ({ target }) => [target.image.cmd, createdBy(target)],
    want: [["/app", "--flag"], ['CMD ["/bin/sh" "-c" "echo $HOME"]', 'CMD ["/app" "--flag"]']],
  },
  {
    name: "CMD sets ArgsEscaped as BuildKit does; ENTRYPOINT alone does not",
    body: 'ENTRYPOINT ["/e"]',
    check: ({ target }) => target.image.argsEscaped ?? false,
    want: false,
  },
  {
    name: "CMD (either form) sets ArgsEscaped",
    body: 'CMD ["/app"]',
    check: ({ target }) => target.image.argsEscaped,
    want: true,
  },
  {
    name: "ENTRYPOINT resets an inherited CMD",
    body: 'ENTRYPOINT ["/entry"]',
    check: ({ target }) => [target.image.entrypoint, target.image.cmd],
    want: [["/entry"], null],
  },
  {
    name: "ENTRYPOINT keeps a CMD set earlier in the same stage",
    body: 'CMD ["x"]\nENTRYPOINT /entry.sh',
    check: ({ target }) => [target.image.entrypoint, target.image.cmd],
    want: [["/bin/sh", "-c", "/entry.sh"], ["x"]],
  },
  {
    name: "SHELL changes the shell of later shell-form commands",
    body: 'SHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nCMD run\nRUN make',
    check: (
      { target, graph },
    ) => [target.image.shell, target.image.cmd, (graph.vertices[target.root] as any).args, createdBy(target)[0]],
    want: [
      ["/bin/bash", "-eo", "pipefail", "-c"],
      ["/bin/bash", "-eo", "pipefail", "-c", "run"],
      ["/bin/bash", "-eo", "pipefail", "-c", "make"],
      "SHELL [/bin/bash -eo pipefail -c]",
    ],
  },
  {
    name: "WORKDIR is relative to the previous one and expands ENV",
    body: "ENV BASE=/srv\nWORKDIR $BASE\nWORKDIR app/../web\nWORKDIR /",
    check: ({ target }) => [target.image.workingDir, createdBy(target), target.history.map((h) => h.emptyLayer)],
    want: ["/", ["ENV BASE=/srv", "WORKDIR /srv", "WORKDIR /srv/web", "WORKDIR /"], [true, false, false, true]],
  },
  {
    name: "WORKDIR creates the directory owned by the current USER",
    body: "USER app:staff\nWORKDIR /home/app",
    check: ({ graph, target }) => filesOf(graph, target).map((f) => f.actions),
    want: [[{
      action: "mkdir",
      path: "/home/app",
      mode: 0o755,
      makeParents: true,
      chown: { user: "app", group: "staff" },
    }]],
  },
  {
    name: "EXPOSE ranges, protocols and variables",
    body: "ENV P=8080\nEXPOSE 80 $P/tcp 53/udp 7000-7002/TCP",
    check: ({ target }) => [target.image.exposedPorts, createdBy(target)[1]],
    want: [
      ["80/tcp", "8080/tcp", "53/udp", "7000/tcp", "7001/tcp", "7002/tcp"],
      "EXPOSE map[53/udp:{} 7000/tcp:{} 7001/tcp:{} 7002/tcp:{} 80/tcp:{} 8080/tcp:{}]",
    ],
  },
  {
    // A run-time mapping exposes its container port, as BuildKit does (and its lint warns: ExposeInvalidFormat).
    name: "EXPOSE of a host mapping exposes the container port",
    body: "EXPOSE 8080:80 127.0.0.1:5353:53/udp [::1]:9000-9001:9000-9001",
    check: ({ target }) => target.image.exposedPorts,
    want: ["80/tcp", "53/udp", "9000/tcp", "9001/tcp"],
  },
  {
    name: "VOLUME in JSON and list form",
    body: 'VOLUME ["/data", "/logs"]\nVOLUME /cache /data',
    check: ({ target }) => [target.image.volumes, createdBy(target)],
    want: [["/data", "/logs", "/cache"], ["VOLUME [/data /logs]", "VOLUME [/cache /data]"]],
  },
  {
    name: "USER, STOPSIGNAL, MAINTAINER, LABEL expansion",
    body: 'ENV U=app\nUSER ${U}:1000\nSTOPSIGNAL SIGTERM\nMAINTAINER Jane <j@x>\nLABEL "org.x"="$U v" a=b',
    check: ({ target }) => [target.image.user, target.image.stopSignal, target.image.author, target.image.labels],
    want: ["app:1000", "SIGTERM", "Jane <j@x>", { "org.x": "app v", a: "b" }],
  },
  {
    name: "HEALTHCHECK stores nanoseconds and prints BuildKit's history line",
    body: "HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD wget -q -O- http://localhost/",
    check: ({ target }) => [target.image.healthcheck, createdBy(target)],
    want: [
      { Test: ["CMD-SHELL", "wget -q -O- http://localhost/"], Interval: 30e9, Timeout: 3e9, Retries: 3 },
      // dockerd 20.10's line: no StartInterval field.
      [`HEALTHCHECK &{["CMD-SHELL" "wget -q -O- http://localhost/"] "30s" "3s" "0s" '\\x03'}`],
    ],
  },
  {
    name: "HEALTHCHECK --start-interval (newer than dockerd 20.10) is printed as current BuildKit prints it",
    body: "HEALTHCHECK --start-period=5s --start-interval=2s CMD true",
    check: ({ target }) => createdBy(target),
    want: [`HEALTHCHECK &{["CMD-SHELL" "true"] "0s" "0s" "5s" "2s" '\\x00'}`],
  },
  {
    name: "HEALTHCHECK NONE disables an inherited check",
    body: "HEALTHCHECK NONE",
    check: ({ target }) => target.image.healthcheck,
    want: { Test: ["NONE"] },
  },
  {
    name: "ENV values are expanded with the environment before the instruction",
    body: "ENV A=1\nENV A=2 B=$A\nENV C=\"$A $B\" D='$A'",
    check: ({ target }) => target.image.env,
    want: ["PATH=/bin", "A=2", "B=1", "C=2 1", "D=$A"],
  },
  {
    name: "metadata-only steps are empty layers, file and exec steps point at their vertex",
    body: "ENV A=1\nRUN true\nCOPY a /a",
    check: ({ target }) => target.history.map((h) => [h.emptyLayer, h.vertex !== undefined]),
    want: [[true, false], [false, true], [false, true]],
  },
];

for (const c of TABLE) {
  Deno.test(`config: ${c.name}`, async () => {
    const images = { busybox: imageConfig({ Env: ["PATH=/bin"], Cmd: ["sh"], Healthcheck: { Test: ["CMD", "x"] } }) };
    const result = await convert(`FROM busybox\n${c.body}\n`, { images });
    assertEquals(c.check(result), c.want);
  });
}

Deno.test("config: base image config is the starting point; --label applies to the target only", async () => {
  const images = {
    base: imageConfig({
      Env: ["PATH=/usr/bin", "LANG=C"],
      User: "nobody",
      WorkingDir: "/w",
      Labels: { from: "base" },
      ExposedPorts: { "22/tcp": {} },
      Volumes: { "/v": {} },
    }, 3),
  };
  const { graph, target } = await convert("FROM base AS one\nFROM one\nLABEL mine=1\n", {
    images,
    labels: { cli: "yes" },
  });
  assertEquals([target.image.env, target.image.user, target.image.workingDir], [
    ["PATH=/usr/bin", "LANG=C"],
    "nobody",
    "/w",
  ]);
  assertEquals([target.image.exposedPorts, target.image.volumes, target.image.baseLayers], [["22/tcp"], ["/v"], 3]);
  assertEquals(target.image.labels, { from: "base", mine: "1", cli: "yes" });
  assertEquals(graph.stages[0].image.labels, { from: "base" });
});

Deno.test("config: scratch starts with Docker's default PATH and no base history", async () => {
  const { target } = await convert("FROM scratch\nENV X=1\n");
  assertEquals(target.image.env, ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "X=1"]);
  assertEquals([target.image.baseLayers, target.image.baseHistory], [0, []]);
});

Deno.test("config: invalid values are errors naming the line", async () => {
  const cases: [string, number, string][] = [
    ["EXPOSE 80-70", 2, "invalid range of ports"],
    ["EXPOSE nope:8080:80", 2, "invalid IP address"],
    ["EXPOSE 8080-8081:80-82", 2, "invalid ranges specified for container and host Ports"],
    ["EXPOSE 80/icmp", 2, "invalid port/protocol"],
    ["STOPSIGNAL ki!l", 2, "invalid signal"],
    ['ENV A="${B:?must be set}"', 2, "must be set"],
    ['VOLUME [""]', 2, "VOLUME specified can not be an empty string"],
  ];
  for (const [body, line, part] of cases) {
    const e = await assertRejects(() => convert(`FROM busybox\n${body}\n`), DockerfileError, part) as DockerfileError;
    assertEquals(e.line, line, body);
  }
});

Deno.test("config: the escape directive changes how words are expanded", async () => {
  const { target } = await convert("# escape=`\nFROM busybox\nENV A=1\nENV B=`$A C=\\$A\n");
  assertEquals(target.image.env.slice(-3), ["A=1", "B=$A", "C=\\1"]);
});

Deno.test("FROM scratch starts from BuildKit's empty image: default PATH and WorkingDir /", async () => {
  const { target } = await convert("FROM scratch\nLABEL a=b\n");
  assertEquals([target.image.env, target.image.workingDir], [[
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ], "/"]);
});
