import { assertEquals, assertThrows } from "../test/util/assert.ts";
import tar from "tar-stream";
import {
  decodePaxRecords,
  encodePaxRecords,
  paxExtract,
  PaxFormatError,
  type PaxHeader,
  paxPack,
  RAW_PAX,
  rawPax,
} from "./tar_pax.ts";
import { join } from "./path.ts";
import { concatBytes } from "./file_chunks.ts";

const enc = new TextEncoder();

async function packBytes(pack: tar.Pack, headers: PaxHeader[], body = "data"): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Uint8Array);
  })();
  for (const h of headers) {
    await new Promise<void>((res, rej) =>
      pack.entry({ ...h }, h.type === "file" ? body : "", (err) => (err ? rej(err) : res()))
    );
  }
  pack.finalize();
  await done;
  return concatBytes(chunks);
}

async function extractAll(bytes: Uint8Array, extract = paxExtract()) {
  extract.end(bytes);
  const out: { header: tar.Header; data: string }[] = [];
  for await (const entry of extract) {
    const parts: Uint8Array[] = [];
    for await (const c of entry) parts.push(c as Uint8Array);
    out.push({ header: entry.header, data: new TextDecoder().decode(concatBytes(parts)) });
  }
  return out;
}

const base = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(1_600_000_000_000), uname: "", gname: "" };

Deno.test("a record's length counts its own digits, across the 9/10, 99/100 and 999/1000 boundaries", () => {
  for (let n = 0; n < 1100; n++) {
    const value = new Uint8Array(n).fill(0xff);
    const rec = encodePaxRecords([["k", value]]);
    const sp = rec.indexOf(0x20);
    assertEquals(Number(new TextDecoder().decode(rec.subarray(0, sp))), rec.byteLength, `value of ${n} bytes`);
    assertEquals(rec[rec.byteLength - 1], 0x0a);
    assertEquals(decodePaxRecords(rec), [["k", value]]);
  }
});

Deno.test("values keep every byte, newlines and '=' included, and records keep their order", () => {
  const records: [string, Uint8Array][] = [
    ["SCHILY.xattr.user.z", Uint8Array.of(0x00, 0xff, 0x80)],
    ["SCHILY.xattr.user.a", enc.encode("a=b\nc")],
    ["SCHILY.xattr.user.empty", new Uint8Array()],
    ["path", enc.encode("ünï/ファイル")],
  ];
  assertEquals(decodePaxRecords(encodePaxRecords(records)), records);
});

Deno.test("a malformed PAX body is refused instead of read as far as it goes", () => {
  for (const bad of ["13 path=abc\n", "x path=a\n", "9 pathabc\n", "8 path=a ", "99 path=abc\n", "5 =ab\n"]) {
    assertThrows(() => decodePaxRecords(enc.encode(bad)), PaxFormatError);
  }
});

Deno.test("with UTF-8 values the pack writes the same bytes as tar-stream's own PAX headers", async () => {
  const long = "d/" + "n".repeat(120);
  const cases: PaxHeader[] = [
    { ...base, name: "f", type: "file", pax: { "SCHILY.xattr.user.note": "hello" } },
    { ...base, name: "dir", type: "directory", pax: { "SCHILY.xattr.user.a": "1", "SCHILY.xattr.user.b": "ü" } },
    { ...base, name: "sym", type: "symlink", linkname: "target", pax: { "SCHILY.xattr.user.s": "x" } },
    { ...base, name: "hl", type: "link", linkname: "f", pax: { "SCHILY.xattr.user.h": "y" } },
    { ...base, name: long, type: "file" },
    { ...base, name: "plain", type: "file" },
  ];
  const asText = await packBytes(tar.pack(), cases);
  // The same headers with the xattrs moved to byte records.
  const asBytes = await packBytes(
    paxPack(),
    cases.map(({ pax, ...h }) =>
      pax ? { ...h, [RAW_PAX]: Object.entries(pax as Record<string, string>).map(([k, v]) => [k, enc.encode(v)]) } : h
    ) as PaxHeader[],
  );
  assertEquals(asBytes, asText);
});

Deno.test("binary values survive pack and extract; tar-stream's plain reader still sees names and data", async () => {
  const cap = Uint8Array.of(1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const bin = Uint8Array.of(0x00, 0xff, 0x80);
  const long = "deep/" + "x".repeat(150);
  const bytes = await packBytes(paxPack(), [
    { ...base, name: long, type: "file", [RAW_PAX]: [["SCHILY.xattr.security.capability", cap]] },
    { ...base, name: "sym", type: "symlink", linkname: "t", [RAW_PAX]: [["SCHILY.xattr.user.bin", bin]] },
    { ...base, name: "plain", type: "file" },
  ]);
  const ours = await extractAll(bytes);
  assertEquals(ours.map((e) => e.header.name), [long, "sym", "plain"]);
  assertEquals(ours.map((e) => e.data), ["data", "", "data"]);
  assertEquals(ours[1].header.linkname, "t");
  assertEquals(rawPax(ours[0].header), [["path", enc.encode(long)], ["SCHILY.xattr.security.capability", cap]]);
  assertEquals(rawPax(ours[1].header).slice(2), [["SCHILY.xattr.user.bin", bin]]);
  assertEquals(rawPax(ours[2].header), []);
  const plain = await extractAll(bytes, tar.extract());
  assertEquals(plain.map((e) => [e.header.name, e.data]), [[long, "data"], ["sym", ""], ["plain", "data"]]);
});

Deno.test("GNU tar reads our byte records, and we read the ones GNU tar writes (global headers included)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-pax-" });
  try {
    const bin = Uint8Array.of(0x00, 0xff, 0x80, 0x0a, 0x3d);
    const bytes = await packBytes(paxPack(), [
      { ...base, name: "f", type: "file", [RAW_PAX]: [["SCHILY.xattr.user.bin", bin]] },
    ]);
    await Deno.writeFile(join(dir, "ours.tar"), bytes);
    await Deno.mkdir(join(dir, "out"));
    await sh(`tar --xattrs --xattrs-include='*' -xpf ours.tar -C out`, dir);
    assertEquals(await sh(`getfattr --only-values -n user.bin out/f`, dir), bin);

    // GNU tar's own archive of that file, with a global header (--pax-option globexthdr) in front.
    await sh(
      `tar --xattrs --xattrs-include='*' --format=posix --pax-option=globexthdr.name=g,comment=hi -cf gnu.tar -C out f`,
      dir,
    );
    const entries = await extractAll(await Deno.readFile(join(dir, "gnu.tar")));
    assertEquals(entries.map((e) => e.header.name), ["f"]);
    const records = new Map(rawPax(entries[0].header));
    assertEquals(records.get("SCHILY.xattr.user.bin"), bin);
    assertEquals(new TextDecoder().decode(records.get("comment")), "hi", "the global record reaches the entry");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function sh(script: string, cwd: string): Promise<Uint8Array> {
  const out = await new Deno.Command("sh", { args: ["-c", script], cwd, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${script}: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}
