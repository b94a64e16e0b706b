/**
 * SecretsUsedInArgOrEnv's name test: a name whose first or last `_`-separated word says "credential", unless another
 * word says it is meant to be public (BuildKit's deny and allow lists, case-insensitive).
 *
 * @module
 */

const DENY = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const ALLOW = /(?:_|^)(?:public|file|version)(?:_|$)/i;

/** Whether an ARG or ENV named `key` looks like it carries a secret. */
export function isSecretKey(key: string): boolean {
  return DENY.test(key) && !ALLOW.test(key);
}
