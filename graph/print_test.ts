import { assert, assertEquals } from "../test/util/assert.ts";
import { convert } from "../frontend/convert/testing.ts";
import { graphToDot, graphToJson } from "./print.ts";

const DOCKERFILE = `FROM busybox AS tool
RUN echo tool > /t
FROM busybox
COPY --from=tool /t /t
`;

Deno.test("print: one graph as JSON and DOT; several platforms' graphs side by side, node names kept apart", async () => {
  const { graph } = await convert(DOCKERFILE);
  const one = JSON.parse(graphToJson(graph));
  assertEquals(one.stages.map((s: { name?: string }) => s.name ?? null), ["tool", null]);
  assert(one.vertices.some((v: { kind: string; args?: string[] }) => v.kind === "exec"));

  const both = [{ platform: "linux/amd64", graph }, { platform: "linux/arm64", graph }];
  const multi = JSON.parse(graphToJson(both));
  assertEquals(multi.platforms.map((p: { platform: string }) => p.platform), ["linux/amd64", "linux/arm64"]);
  assertEquals(multi.platforms[1].vertices.length, one.vertices.length);

  const dot = graphToDot(both);
  assertEquals(dot.match(/subgraph cluster_/g)?.length, 2);
  assert(dot.includes(`label="linux/arm64"`), dot);
  // Every edge joins nodes of one platform.
  for (const m of dot.matchAll(/(p\d)_v\d+ -> (p\d)_[vs]\d+/g)) assertEquals(m[1], m[2], m[0]);
  assert(!graphToDot(graph).includes("subgraph"));
});
