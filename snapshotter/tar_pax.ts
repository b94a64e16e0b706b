/**
 * PAX extended headers whose values are bytes, not text, for tar-stream packs and extracts.
 *
 * Layers carry extended attributes as PAX records `SCHILY.xattr.<name>=<value>` (Go's archive/tar, BuildKit, docker
 * and GNU tar write them so) whose values are raw bytes: `security.capability` is a binary struct. tar-stream turns
 * every PAX value into a UTF-8 string both ways, which loses any value that is not UTF-8. `paxPack` and `paxExtract`
 * hook the one place each side turns PAX records into bytes or back, so values travel as `Uint8Array`.
 */
import tar from "tar-stream";
import { Buffer } from "node:buffer";
import { TsbuildError } from "../errors.ts";
import { concatBytes } from "./file_chunks.ts";

/** Key of a header's (or a decoded PAX header's) records as raw bytes, in their order in the tar. */
export const RAW_PAX: unique symbol = Symbol("tsbuild.rawPax");

/** PAX records as bytes: key → value. Keys are text (UTF-8); values any bytes. */
export type RawPax = [key: string, value: Uint8Array][];

/** A tar-stream header that may carry byte-valued PAX records (written after `path`/`linkpath` and `pax`). */
export type PaxHeader = Partial<tar.Header> & { name: string; [RAW_PAX]?: RawPax };

const enc = new TextEncoder();
const utf8 = new TextDecoder();

/** One PAX record `"%d %s=%s\n"`: the length counts the bytes of the whole record, its own digits included. */
function encodeRecord(key: string, value: Uint8Array): Uint8Array {
  const k = enc.encode(key);
  const rest = 1 + k.byteLength + 1 + value.byteLength + 1; // " " key "=" value "\n"
  let digits = String(rest).length;
  if (String(rest + digits).length > digits) digits++;
  const len = enc.encode(String(rest + digits));
  const out = new Uint8Array(rest + digits);
  out.set(len, 0);
  let off = len.byteLength;
  out[off++] = 0x20;
  out.set(k, off);
  off += k.byteLength;
  out[off++] = 0x3d;
  out.set(value, off);
  out[out.byteLength - 1] = 0x0a;
  return out;
}

/** The body of a PAX header for `records`, in that order. */
export function encodePaxRecords(records: RawPax): Uint8Array {
  return concatBytes(records.map(([k, v]) => encodeRecord(k, v)));
}

/**
 * A PAX header that is not well formed. Thrown inside the extractor, which fails the stream with it (applyLayer
 * then reports the layer as corrupt, naming this message).
 */
export class PaxFormatError extends TsbuildError {}

/**
 * The records of a PAX header body, values as bytes. Strict as Go's archive/tar: a record whose length is not
 * decimal, runs past the body, or lacks `=` or the final newline makes the whole header invalid.
 */
export function decodePaxRecords(body: Uint8Array): RawPax {
  const records: RawPax = [];
  let off = 0;
  while (off < body.byteLength) {
    let sp = off;
    while (sp < body.byteLength && sp - off < 20 && body[sp] >= 0x30 && body[sp] <= 0x39) sp++;
    const len = sp > off && body[sp] === 0x20 ? Number(utf8.decode(body.subarray(off, sp))) : NaN;
    if (!(len > sp - off + 1) || off + len > body.byteLength || body[off + len - 1] !== 0x0a) {
      throw new PaxFormatError(`malformed PAX record at byte ${off} of a ${body.byteLength}-byte PAX header`);
    }
    const record = body.subarray(sp + 1, off + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new PaxFormatError(`PAX record at byte ${off} has no key`);
    records.push([utf8.decode(record.subarray(0, eq)), record.slice(eq + 1)]);
    off += len;
  }
  return records;
}

/** The byte-valued PAX records tar-stream's extractor found for `header` (empty when none). */
export function rawPax(header: tar.Header): RawPax {
  return (header.pax as { [RAW_PAX]?: RawPax } | null | undefined)?.[RAW_PAX] ?? [];
}

// The tar-stream 3 internals hooked below. Each is checked when a pack or extract is made, so an upgrade that
// renames them fails loudly at once instead of silently writing text values again.
interface PackInternals {
  _encode(header: PaxHeader): void;
  push(chunk: Uint8Array): boolean;
}
interface ExtractInternals {
  _decodeLongHeader(buf: Uint8Array): void;
  _header: tar.Header | { type: string };
  _pax: Record<string, unknown> | null;
  _paxGlobal: Record<string, unknown> | null;
}

function internals<T>(obj: unknown, names: string[]): T {
  for (const n of names) {
    if (typeof (obj as Record<string, unknown>)[n] !== "function") {
      throw new Error(`tar-stream has no ${n}(): byte-valued PAX records need the version in package.json (3.x)`);
    }
  }
  return obj as T;
}

/**
 * A tar-stream pack that also writes the byte-valued records of headers carrying `RAW_PAX`. Such a header gets
 * the same PAX header tar-stream itself writes (`path`, `linkpath`, then `header.pax` as text, then the raw
 * records), so a header whose raw values are all UTF-8 gives the very bytes tar-stream gives for them as text.
 */
export function paxPack(): tar.Pack {
  const pack = tar.pack();
  const p = internals<PackInternals>(pack, ["_encode", "push"]);
  const encode = p._encode.bind(pack);
  p._encode = (header: PaxHeader) => {
    const raw = header[RAW_PAX];
    if (!raw || raw.length === 0) return encode(header);
    const records: RawPax = [["path", enc.encode(header.name)]];
    if (header.linkname) records.push(["linkpath", enc.encode(header.linkname)]);
    for (const [k, v] of Object.entries((header.pax ?? {}) as Record<string, string>)) {
      records.push([k, enc.encode(v)]);
    }
    records.push(...raw);
    const body = encodePaxRecords(records);
    // As tar-stream's own PAX layout: an `x` entry named PaxHeader with the entry's metadata, its padded body,
    // then the entry itself under the name PaxHeader (readers take the name from the `path` record).
    const base: PaxHeader = {
      name: "PaxHeader",
      mode: header.mode,
      uid: header.uid,
      gid: header.gid,
      size: body.byteLength,
      mtime: header.mtime,
      type: "pax-header" as tar.Header["type"],
      linkname: header.linkname ? "PaxHeader" : header.linkname,
      uname: header.uname,
      gname: header.gname,
      devmajor: header.devmajor,
      devminor: header.devminor,
    };
    encode(base);
    p.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    if (body.byteLength % 512) p.push(Buffer.alloc(512 - (body.byteLength % 512)));
    encode({ ...base, size: header.size, type: header.type });
  };
  return pack;
}

/**
 * A tar-stream extract whose entries' `header.pax` also carries `RAW_PAX` (read it with `rawPax`): the records as
 * bytes, global ones first then the entry's own. The text view tar-stream gives (`path`, `linkpath`, `size`, ...)
 * stays as it was.
 */
export function paxExtract(): tar.Extract {
  const extract = tar.extract();
  const x = internals<ExtractInternals>(extract, ["_decodeLongHeader"]);
  const decodeLong = x._decodeLongHeader.bind(extract);
  x._decodeLongHeader = (buf: Uint8Array) => {
    const type = x._header.type as string;
    if (type !== "pax-header" && type !== "pax-global-header") return decodeLong(buf);
    const records = decodePaxRecords(buf);
    const pax: Record<string, unknown> & { [RAW_PAX]: RawPax } = { [RAW_PAX]: records };
    for (const [k, v] of records) pax[k] = utf8.decode(v);
    if (type === "pax-global-header") {
      x._paxGlobal = pax;
      return;
    }
    const global = x._paxGlobal as (Record<string, unknown> & { [RAW_PAX]?: RawPax }) | null;
    if (global) {
      const own = new Set(records.map(([k]) => k));
      x._pax = { ...global, ...pax, [RAW_PAX]: [...(global[RAW_PAX] ?? []).filter(([k]) => !own.has(k)), ...records] };
    } else x._pax = pax;
  };
  return extract;
}
