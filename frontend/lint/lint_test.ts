import { assert, assertEquals } from "../../test/util/assert.ts";
import { CONFORMANCE, mayLackCorpus } from "../../test/util/shared_dir.ts";
import { lintDockerfile } from "./mod.ts";

const GO_ENV = ["PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOPATH=/go"];

/** A Dockerfile written the way the rules want: nothing to report, even with experimental rules on. */
const CLEAN = `# syntax=docker/dockerfile:1
# check=error=true;experimental=all

ARG GO_VERSION=1.22
ARG ALPINE_VERSION=3.20

# build compiles the server
FROM --platform=$BUILDPLATFORM golang:\${GO_VERSION}-alpine AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \\
    go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \\
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/server ./cmd/server

FROM alpine:\${ALPINE_VERSION} AS runtime
RUN <<EOF
addgroup -S app
adduser -S app -G app
EOF
COPY --from=build /out/server /usr/local/bin/server
COPY --chmod=644 <<EOF /etc/app/config.yaml
listen: :8080
EOF
LABEL org.opencontainers.image.source="https://example.com/app"
USER app
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["/usr/local/bin/server", "-health"]
ENTRYPOINT ["/usr/local/bin/server"]
CMD ["--listen", ":8080"]
`;

Deno.test("a real-world multi-stage Dockerfile has no warnings, in a build and in --check", () => {
  for (const allStages of [false, true]) {
    const r = lintDockerfile(CLEAN, {
      allStages,
      dockerignore: [".git", "*.md", "dist"],
      baseEnv: (_stage, _i, image) => (image.startsWith("golang") ? GO_ENV : ["PATH=/usr/local/sbin:/usr/bin:/bin"]),
    });
    assertEquals(r.error, undefined);
    assertEquals(r.warnings, []);
    assertEquals(r.errorOnWarn, true);
  }
});

Deno.test("the same file with its common mistakes gets BuildKit's warnings, in BuildKit's order", () => {
  const messy = CLEAN
    .replace("AS build", "as build")
    .replace("WORKDIR /src", "WORKDIR src")
    .replace("ENV CGO_ENABLED=0", "ENV CGO_ENABLED 0")
    .replace('CMD ["--listen", ":8080"]', "CMD server --listen :8080")
    .replace("USER app", "USER $APP_USER")
    .replace("EXPOSE 8080", 'EXPOSE 8080\nENTRYPOINT ["/bin/sh"]');
  const r = lintDockerfile(messy, { dockerignore: [".git"], baseEnv: () => ["PATH=/bin"] });
  assertEquals(r.warnings.map((w) => `${w.rule} ${w.line}`), [
    "FromAsCasing 8",
    "WorkdirRelativePath 11",
    "LegacyKeyValueFormat 12",
    "UndefinedVar 30",
    "MultipleInstructionsDisallowed 32",
    "JSONArgsRecommended 35",
  ]);
});

Deno.test("lintDockerfile never throws on BuildKit's parser corpus", async (t) => {
  const root = new URL("buildkit-parser/", CONFORMANCE);
  let files: URL[] = [];
  try {
    for (const dir of ["testfiles/", "testfiles-negative/"]) {
      for await (const e of Deno.readDir(new URL(dir, root))) {
        if (e.isDirectory) files.push(new URL(`${dir}${e.name}/Dockerfile`, root));
      }
    }
    files.push(new URL("testfile-line/Dockerfile", root));
  } catch (e) {
    if (mayLackCorpus && e instanceof Deno.errors.NotFound) {
      await t.step({ name: "corpus absent", ignore: true, fn() {} });
      return;
    }
    throw e;
  }
  files = files.sort((a, b) => a.href.localeCompare(b.href));
  assert(files.length > 30, `only ${files.length} corpus files`);
  let linted = 0;
  for (const f of files) {
    const text = await Deno.readTextFile(f);
    for (const allStages of [false, true]) {
      const r = lintDockerfile(text, { allStages, dockerignore: ["*.md"], buildArgs: {} });
      for (const w of r.warnings) assert(w.line >= 1 && w.endLine >= w.line, `${f.href}: ${JSON.stringify(w)}`);
    }
    linted++;
  }
  assertEquals(linted, files.length);
});
