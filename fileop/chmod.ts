/**
 * `--chmod` values: octal (`0755`) or chmod(1) symbolic clauses (`u+x,g-w`, `a=rX`, `+X`).
 * A clause without `ugoa` means `a` and ignores the umask (there is no umask at build time).
 * @module
 */
import { FileOpError } from "./errors.ts";

/** Computes the new permission bits of an entry from its current mode and whether it is a directory. */
export type ModeFn = (mode: number, isDir: boolean) => number;

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };

/** Parses a `--chmod` value; throws FileOpError naming the value when it is neither octal nor symbolic. */
export function parseChmod(spec: string): ModeFn {
  if (/^[0-7]{1,4}$/.test(spec)) {
    const m = parseInt(spec, 8);
    return () => m;
  }
  const clauses = spec.split(",");
  const ops: { who: number; op: string; perm: string }[][] = [];
  for (const clause of clauses) {
    const m = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/.exec(clause);
    if (!m) throw new FileOpError(`invalid --chmod value ${JSON.stringify(spec)}: expected octal or symbolic mode`);
    let who = 0;
    for (const w of m[1] || "a") who |= WHO[w];
    const actions: { who: number; op: string; perm: string }[] = [];
    for (const a of m[2].matchAll(/([-+=])([rwxXst]*|[ugo])/g)) actions.push({ who, op: a[1], perm: a[2] });
    ops.push(actions);
  }
  return (mode: number, isDir: boolean) => {
    let cur = mode & 0o7777;
    for (const actions of ops) {
      for (const { who, op, perm } of actions) {
        let bits = 0;
        if (/^[ugo]$/.test(perm)) {
          // Copy another class's bits (`g=u`).
          const shift = perm === "u" ? 6 : perm === "g" ? 3 : 0;
          const rwx = (cur >> shift) & 7;
          bits = (rwx << 6) | (rwx << 3) | rwx;
        } else {
          for (const p of perm) {
            if (p === "r") bits |= 0o444;
            else if (p === "w") bits |= 0o222;
            else if (p === "x") bits |= 0o111;
            else if (p === "X") bits |= isDir || (cur & 0o111) !== 0 ? 0o111 : 0;
            else if (p === "s") bits |= 0o6000;
            else if (p === "t") bits |= 0o1000;
          }
        }
        bits &= who;
        if (op === "+") cur |= bits;
        else if (op === "-") cur &= ~bits;
        else cur = (cur & ~(who & 0o777 | (who & 0o6000))) | bits;
      }
    }
    return cur & 0o7777;
  };
}
