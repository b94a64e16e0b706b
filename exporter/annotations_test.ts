import { assertEquals, assertThrows } from "../test/util/assert.ts";
import { AnnotationError, annotationsFor, checkSinglePlatformAnnotations, parseAnnotation } from "./annotations.ts";

Deno.test("--annotation: manifest by default, several types at once, a platform, values keep their = and :", () => {
  assertEquals(parseAnnotation("org.opencontainers.image.title=app"), [
    { target: "manifest", platform: undefined, key: "org.opencontainers.image.title", value: "app" },
  ]);
  assertEquals(parseAnnotation("index,manifest-descriptor:k=a=b:c").map((a) => [a.target, a.key, a.value]), [
    ["index", "k", "a=b:c"],
    ["manifest-descriptor", "k", "a=b:c"],
  ]);
  assertEquals(parseAnnotation("manifest[linux/arm64]:k=v")[0].platform, "linux/arm64");
  assertEquals(parseAnnotation("[linux/amd64]:k=")[0], {
    target: "manifest",
    platform: "linux/amd64",
    key: "k",
    value: "",
  });
});

Deno.test("--annotation: malformed or unsupported specs are refused with the spec in the message", () => {
  for (
    const [spec, msg] of [
      ["novalue", "expected [TYPE[PLATFORM]:]KEY=VALUE"],
      ["config:k=v", `unknown type "config"`],
      ["index-descriptor:k=v", "index-descriptor annotations are not supported"],
      ["index[linux/amd64]:k=v", "an index annotation cannot name a platform"],
    ]
  ) {
    assertThrows(() => parseAnnotation(spec), AnnotationError, msg);
  }
});

Deno.test("annotations apply to their target and platform; an image without an index takes only manifest ones", () => {
  const list = [
    ...parseAnnotation("a=1"),
    ...parseAnnotation("manifest[linux/arm64]:b=2"),
    ...parseAnnotation("index:c=3"),
  ];
  assertEquals(annotationsFor(list, "manifest", { os: "linux", architecture: "arm64" }), { a: "1", b: "2" });
  assertEquals(annotationsFor(list, "manifest", { os: "linux", architecture: "amd64" }), { a: "1" });
  assertEquals(annotationsFor(list, "index"), { c: "3" });
  assertEquals(annotationsFor(list, "manifest-descriptor"), undefined);
  assertThrows(
    () => checkSinglePlatformAnnotations(list),
    AnnotationError,
    "index annotations are not supported for single platform export",
  );
  checkSinglePlatformAnnotations(list.slice(0, 1));
});
