/**
 * A JSON Schema draft-04 validator covering the keywords the OCI image-spec schemas use (type, properties,
 * patternProperties, additionalProperties, required, items, minItems, enum, pattern, minimum/maximum, oneOf,
 * anyOf, allOf, format date-time/uri, $ref to sibling files and JSON pointers). Written for tests because the npm
 * validators are not installed; it reports every violation with its JSON path.
 *
 * @module
 */

import { CONFORMANCE } from "./shared_dir.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The image-spec schemas in the shared corpus (see shared_dir.ts). */
export const IMAGE_SPEC_SCHEMAS = new URL("image-spec-schema", CONFORMANCE).pathname;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function typeOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Validates `value` against the schema file `file` in `dir`; returns the violations (empty when valid). */
export async function validate(file: string, value: Json, dir = IMAGE_SPEC_SCHEMAS): Promise<string[]> {
  const docs = new Map<string, Json>();
  const load = async (name: string) => {
    if (!docs.has(name)) docs.set(name, JSON.parse(await Deno.readTextFile(`${dir}/${name}`)));
    return docs.get(name);
  };
  // Preload every file a $ref can name, so the walk below stays synchronous.
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".json")) await load(e.name);
  const errors: string[] = [];
  const resolve = (ref: string, base: string): [Json, string] => {
    const [f, pointer = ""] = ref.split("#");
    const name = f || base;
    let node = docs.get(name);
    if (node === undefined) throw new Error(`schema ${name} not found`);
    for (const part of pointer.split("/").filter(Boolean)) node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    if (node === undefined) throw new Error(`bad $ref ${ref} from ${base}`);
    return [node, name];
  };
  const check = (s: Json, v: Json, path: string, base: string, out: string[]): void => {
    if (s.$ref) {
      const [target, name] = resolve(s.$ref, base);
      return check(target, v, path, name, out);
    }
    const t = typeOf(v);
    if (s.type) {
      const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
      if (!types.some((x) => x === t || (x === "number" && t === "integer"))) {
        out.push(`${path}: is ${t}, want ${types.join("|")}`);
        return;
      }
    }
    if (s.enum && !s.enum.some((e: Json) => JSON.stringify(e) === JSON.stringify(v))) {
      out.push(`${path}: ${JSON.stringify(v)} not in enum`);
    }
    if (typeof v === "string") {
      if (s.pattern && !new RegExp(s.pattern, "u").test(v)) out.push(`${path}: "${v}" does not match ${s.pattern}`);
      if (s.format === "date-time" && !DATE_TIME.test(v)) out.push(`${path}: "${v}" is not a date-time`);
      if (s.format === "uri" && !URL.canParse(v)) out.push(`${path}: "${v}" is not a URI`);
    }
    if (typeof v === "number") {
      if (s.minimum !== undefined && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
      if (s.maximum !== undefined && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    }
    if (t === "array") {
      if (s.minItems !== undefined && v.length < s.minItems) out.push(`${path}: fewer than ${s.minItems} items`);
      if (s.items) v.forEach((x: Json, i: number) => check(s.items, x, `${path}[${i}]`, base, out));
    }
    if (t === "object") {
      for (const r of s.required ?? []) if (!(r in v)) out.push(`${path}: missing required "${r}"`);
      for (const [k, x] of Object.entries(v)) {
        let matched = false;
        if (s.properties?.[k]) {
          matched = true;
          check(s.properties[k], x, `${path}.${k}`, base, out);
        }
        for (const [re, ps] of Object.entries(s.patternProperties ?? {})) {
          if (new RegExp(re, "u").test(k)) {
            matched = true;
            check(ps, x, `${path}.${k}`, base, out);
          }
        }
        if (!matched && s.additionalProperties === false) out.push(`${path}: unexpected property "${k}"`);
        else if (!matched && typeof s.additionalProperties === "object") {
          check(s.additionalProperties, x, `${path}.${k}`, base, out);
        }
      }
    }
    const branch = (sub: Json) => {
      const o: string[] = [];
      check(sub, v, path, base, o);
      return o;
    };
    if (s.oneOf) {
      const ok = s.oneOf.filter((sub: Json) => branch(sub).length === 0).length;
      if (ok !== 1) out.push(`${path}: matches ${ok} of oneOf's ${s.oneOf.length} schemas, want exactly 1`);
    }
    if (s.anyOf && !s.anyOf.some((sub: Json) => branch(sub).length === 0)) out.push(`${path}: matches none of anyOf`);
    for (const sub of s.allOf ?? []) check(sub, v, path, base, out);
  };
  check(await load(file), value, "$", file, errors);
  return errors;
}
