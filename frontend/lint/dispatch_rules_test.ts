import { assertEquals } from "../../test/util/assert.ts";
import { lintDockerfile, type LintOptions } from "./mod.ts";

const ALPINE_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];

function lint(source: string, opts: LintOptions = {}): string[] {
  const r = lintDockerfile(source, { baseEnv: () => ALPINE_ENV, ...opts });
  if (r.error) throw r.error;
  return r.warnings.map((w) => `${w.rule} ${w.line}: ${w.message}`);
}

Deno.test("UndefinedVar: ARGs (with or without value), ENV, base stages and RUN are fine", () => {
  assertEquals(lint("FROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n"), []);
  assertEquals(lint("FROM alpine AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n"), []);
  assertEquals(lint("FROM alpine\nRUN echo $PATH $nothing\n"), []);
  assertEquals(lint("FROM alpine\nENV A=1\nWORKDIR /$A\nCOPY ${B:-x} /\n", { baseEnv: () => ["B=2"] }), []);
});

Deno.test("UndefinedVar: use before definition, typos with suggestions, ENV pairs expanded together", () => {
  assertEquals(lint("FROM alpine\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n"), [
    "UndefinedVar 2: Usage of undefined variable '$foo'",
  ]);
  assertEquals(
    lint(
      "FROM alpine\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\nARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n",
    ),
    ["UndefinedVar 5: Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)"],
  );
  assertEquals(lint("FROM alpine\nENV PATH=$PAHT:/tmp/bin\n"), [
    "UndefinedVar 2: Usage of undefined variable '$PAHT' (did you mean $PATH?)",
  ]);
  // BuildKit expands all of one ENV's pairs before setting any of them.
  assertEquals(lint("FROM alpine\nENV A=1 B=$A\n"), ["UndefinedVar 2: Usage of undefined variable '$A'"]);
  // Only the built stages are dispatched; --check (allStages) looks at all of them.
  const twoStages = "FROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n";
  assertEquals(lint(twoStages), ["UndefinedVar 5: Usage of undefined variable '$bar'"]);
  assertEquals(lint(twoStages, { allStages: true }), [
    "UndefinedVar 2: Usage of undefined variable '$foo'",
    "UndefinedVar 5: Usage of undefined variable '$bar'",
  ]);
  assertEquals(lint(twoStages, { target: "first" }), ["UndefinedVar 2: Usage of undefined variable '$foo'"]);
});

Deno.test("UndefinedVar stays quiet when the base image's environment is unknown", () => {
  assertEquals(lint("FROM alpine\nCOPY $JAVA_HOME /x\n", { baseEnv: () => undefined }), []);
  assertEquals(lint("FROM alpine\nCOPY $JAVA_HOME /x\n", { baseEnv: () => ["JAVA_HOME=/opt/jdk"] }), []);
  assertEquals(lint("FROM alpine\nCOPY $JAVA_HOME /x\n"), ["UndefinedVar 2: Usage of undefined variable '$JAVA_HOME'"]);
});

Deno.test("WorkdirRelativePath: only the first WORKDIR of a stage chain, absolute ones inherited", () => {
  assertEquals(lint("FROM scratch\nWORKDIR app/\n"), [
    'WorkdirRelativePath 2: Relative workdir "app/" can have unexpected results if the base image changes',
  ]);
  assertEquals(lint("FROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n"), []);
  assertEquals(lint("FROM scratch\nARG D=/srv\nWORKDIR $D\nWORKDIR sub\n"), []);
});

Deno.test("JSONArgsRecommended: shell-form CMD/ENTRYPOINT unless a SHELL is set (here or in the base stage)", () => {
  assertEquals(lint("FROM scratch\nCMD mycommand\n"), [
    "JSONArgsRecommended 2: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
  ]);
  assertEquals(lint("FROM scratch\nentrypoint mycommand\n"), [
    "ConsistentInstructionCasing 2: Command 'entrypoint' should match the case of the command majority (uppercase)",
    "JSONArgsRecommended 2: JSON arguments recommended for entrypoint to prevent unintended behavior related to OS signals",
  ]);
  assertEquals(lint('FROM scratch\nSHELL ["/usr/bin/customshell"]\nCMD mycommand\n'), []);
  assertEquals(lint('FROM scratch AS base\nSHELL ["/usr/bin/customshell"]\n\nFROM base\nENTRYPOINT mycommand\n'), []);
  assertEquals(lint('FROM scratch\nCMD ["mycommand"]\n'), []);
});

Deno.test("MultipleInstructionsDisallowed reports the overridden one, per stage", () => {
  const m = (i: string, l: number) =>
    `MultipleInstructionsDisallowed ${l}: Multiple ${i} instructions should not be used in the same stage because only the last one will be used`;
  assertEquals(
    lint(
      'FROM scratch\nENTRYPOINT ["/myapp"]\nENTRYPOINT ["/myotherapp"]\nCMD ["/myapp"]\nCMD ["/myotherapp"]\n' +
        'HEALTHCHECK CMD ["/myapp"]\nHEALTHCHECK CMD ["/myotherapp"]\n',
    ),
    [m("ENTRYPOINT", 2), m("CMD", 4), m("HEALTHCHECK", 6)],
  );
  assertEquals(
    lint('FROM scratch\nCMD ["/a"]\nCOPY <<EOF /a.txt\nHello\nEOF\nCMD ["/b"]\nCMD ["/c"]\n'),
    [m("CMD", 2), m("CMD", 6)],
  );
  assertEquals(lint('FROM scratch AS a\nCMD ["/myapp"]\n\nFROM a AS b\nCMD ["/myotherapp"]\n'), []);
});

Deno.test("LegacyKeyValueFormat for ENV and LABEL written `key value`", () => {
  assertEquals(lint("FROM scratch\nENV testkey value\nLABEL key value\n"), [
    'LegacyKeyValueFormat 2: "ENV key=value" should be used instead of legacy "ENV key value" format',
    'LegacyKeyValueFormat 3: "LABEL key=value" should be used instead of legacy "LABEL key value" format',
  ]);
  assertEquals(lint("FROM scratch\nENV testkey=value\nLABEL key=value other=x\n"), []);
});

Deno.test("SecretsUsedInArgOrEnv: BuildKit's deny and allow words, in stages only", () => {
  const src = "FROM scratch\nARG SECRET_PASSPHRASE\nENV SUPER_Secret=foo\nENV password=bar secret=baz\n" +
    "ARG super_duper_secret_token=foo auth=bar\nENV apikey=bar sunflower=foo\nENV git_key=\nENV PUBLIC_KEY=\nARG public_token\n";
  const q = (i: string, k: string, l: number) =>
    `SecretsUsedInArgOrEnv ${l}: Do not use ARG or ENV instructions for sensitive data (${i} "${k}")`;
  assertEquals(lint(src), [
    q("ARG", "SECRET_PASSPHRASE", 2),
    q("ENV", "SUPER_Secret", 3),
    q("ENV", "password", 4),
    q("ENV", "secret", 4),
    q("ARG", "super_duper_secret_token", 5),
    q("ARG", "auth", 5),
    q("ENV", "apikey", 6),
    q("ENV", "git_key", 7),
  ]);
  assertEquals(lint("ARG GITHUB_TOKEN\nFROM scratch\nARG VERSION=1\nENV MONKEY=1\n"), []);
});

Deno.test("CopyIgnoredFile (experimental): context sources .dockerignore excludes", () => {
  const src = "FROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n";
  assertEquals(lint(src, { dockerignore: ["Dockerfile"] }), []);
  const expected = [
    'CopyIgnoredFile 3: Attempting to Copy file "Dockerfile" that is excluded by .dockerignore',
    'CopyIgnoredFile 4: Attempting to Add file "Dockerfile" that is excluded by .dockerignore',
  ];
  assertEquals(lint("# check=experimental=CopyIgnoredFile\n" + src, { dockerignore: ["Dockerfile"] }), expected);
  // Experimental rules ignore skip=all.
  assertEquals(
    lint("# check=skip=all;experimental=CopyIgnoredFile\n" + src, { dockerignore: ["Dockerfile"] }),
    expected,
  );
  const on = "# check=experimental=all\n";
  assertEquals(
    lint(on + "FROM scratch AS base\nCOPY Dockerfile /foobar\n\nFROM base\nCOPY --from=base /foobar /Dockerfile\n", {
      dockerignore: ["foobar"],
    }),
    [],
  );
  assertEquals(lint(on + "FROM scratch\nCOPY src/a.go /\n", { dockerignore: ["src"] }), [
    'CopyIgnoredFile 3: Attempting to Copy file "src/a.go" that is excluded by .dockerignore',
  ]);
  // `!` exceptions make the rule stand down; `.` only counts when everything is ignored.
  assertEquals(lint(on + "FROM scratch\nCOPY src/a.go /\n", { dockerignore: ["src", "!src/a.go"] }), []);
  assertEquals(lint(on + "FROM scratch\nCOPY . /\n", { dockerignore: ["src"] }), []);
  assertEquals(lint(on + "FROM scratch\nCOPY . /\n", { dockerignore: ["*"] }), [
    'CopyIgnoredFile 3: Attempting to Copy file "." that is excluded by .dockerignore',
  ]);
});

Deno.test("ExposeProtoCasing and ExposeInvalidFormat (Dockerfile 1.18): upper-case protocols, IPs and host ports", () => {
  assertEquals(lint("FROM alpine\nEXPOSE 80 443/tcp 53/udp 8000-8010/tcp\n"), []);
  assertEquals(lint("FROM alpine\nARG P=53/UDP\nEXPOSE 80/TcP $P\nEXPOSE 127.0.0.1:80:80 8080:80/tcp\n"), [
    "ExposeProtoCasing 3: Defined protocol '80/TcP' in EXPOSE instruction should be lowercase",
    "ExposeProtoCasing 3: Defined protocol '53/UDP' in EXPOSE instruction should be lowercase",
    "ExposeInvalidFormat 4: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'",
    "ExposeInvalidFormat 4: EXPOSE instruction should not define an IP address or host-port mapping, found '8080:80/tcp'",
  ]);
});
