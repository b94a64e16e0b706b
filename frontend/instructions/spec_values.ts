/**
 * Value syntaxes shared by Dockerfile flags and the CLI, as BuildKit and buildx read them: comma-separated
 * `key=value` lists with CSV quoting, and sizes with binary units.
 *
 * @module
 */

/** Splits `a=b,"c=d,e",f` on unquoted commas, as a CSV field list. */
export function splitCsv(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      if (quote && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else quote = !quote;
    } else if (c === "," && !quote) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Parses a size like `64m`, `1g`, `512k`, `100` into bytes. */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()]!;
  return Math.round(parseFloat(m[1]) * mult);
}
