/** Minimal assertions for tests (the Deno std library is not reachable from this machine's registries). */
export class AssertionError extends Error {}

export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}

export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${msg ? msg + "\n" : ""}expected ${e}\n  actual ${a}`);
}

export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  if (!re.test(actual)) {
    throw new AssertionError(`${msg ? msg + "\n" : ""}${JSON.stringify(actual.slice(-2000))} does not match ${re}`);
  }
}

export function assertStringIncludes(actual: string, part: string, msg?: string): void {
  if (!actual.includes(part)) {
    throw new AssertionError(
      `${msg ? msg + "\n" : ""}expected to contain ${JSON.stringify(part)}:\n${actual.slice(-3000)}`,
    );
  }
}

/** Throws unless `e` is an instance of `cls` (when given) whose message includes `includes` (when given). */
function checkError<E extends Error>(e: unknown, cls?: new (...a: any[]) => E, includes?: string): E {
  if (cls && !(e instanceof cls)) {
    throw new AssertionError(`expected ${cls.name}, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
  }
  if (includes && !(e as Error).message.includes(includes)) {
    throw new AssertionError(`expected message to include ${JSON.stringify(includes)}: ${(e as Error).message}`);
  }
  return e as E;
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  cls?: new (...a: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError("expected rejection");
}

export function assertThrows<E extends Error = Error>(fn: () => unknown, cls?: new (...a: any[]) => E, includes?: string): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, cls, includes);
  }
  throw new AssertionError("expected throw");
}
