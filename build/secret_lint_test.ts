import { assertEquals } from "../test/util/assert.ts";
import { parseDockerfile } from "../frontend/mod.ts";
import { lintSecrets } from "./secret_lint.ts";

Deno.test("lintSecrets flags credential-looking ARG and ENV names only", () => {
  const df = parseDockerfile(
    [
      "FROM scratch",
      "ARG GITHUB_TOKEN",
      "ARG VERSION=1",
      "ENV DB_PASSWORD=hunter2 MODE=prod",
      "ENV API_KEY abc",
      "ARG KEYBOARD=us",
      "ENV MONKEY=1",
      "ENV PUBLIC_KEY= token_file=x",
    ].join("\n") + "\n",
  );
  const got = lintSecrets(df.ast).map((w) => `${w.line} ${w.instruction} ${w.name}`);
  assertEquals(got, ["2 ARG GITHUB_TOKEN", "4 ENV DB_PASSWORD", "5 ENV API_KEY"]);
});

Deno.test("lintSecrets words its message as BuildKit does", () => {
  const [w] = lintSecrets(parseDockerfile("FROM scratch\nENV password=bar\n").ast);
  assertEquals(
    w.message,
    'SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV "password")',
  );
});
