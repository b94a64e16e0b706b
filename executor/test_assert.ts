/**
 * Minimal assertions for this folder's tests: the machine has no network for `jsr:@std/assert`, and `node:assert`
 * needs `@types/node` to type-check.
 */

/** Throws unless `actual` and `expected` have the same JSON shape. */
export function assertEquals(actual: unknown, expected: unknown, msg = ""): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${msg ? msg + ": " : ""}expected ${e}\n  but got ${a}`);
}

/** Throws unless `cond` is truthy. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Awaits `fn` and returns its rejection, throwing unless it rejected with an instance of `cls`. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e}`);
    if (includes && !e.message.includes(includes)) throw new Error(`"${e.message}" does not include "${includes}"`);
    return e;
  }
  throw new Error(`expected ${cls.name}, but it resolved`);
}
