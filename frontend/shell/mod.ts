/**
 * Shell-style word expansion for Dockerfile instructions, matching BuildKit's
 * `frontend/dockerfile/shell` lexer: single and double quotes, the escape token
 * (`\` or `` ` ``), `$var`, `${var}` and the `${var:-w} ${var-w} ${var:+w}
 * ${var+w} ${var:?w} ${var?w} ${var#p} ${var##p} ${var%p} ${var%%p}
 * ${var/p/r} ${var//p/r}` forms. Problems throw {@link ShellExpansionError}.
 *
 * @example
 * ```ts
 * import { ShellLex } from "./mod.ts";
 *
 * const lex = new ShellLex("\\");
 * const env = { NAME: "app.tar.gz", DIR: "/srv" };
 * console.log(lex.processWord("${DIR}/${NAME%%.*}", env)); // "/srv/app"
 * console.log(lex.processWords('cp "a b" $DIR', env)); // ["cp", "a b", "/srv"]
 * ```
 *
 * @module
 */
export { type EscapeToken, isSpace, ShellLex, type WordMatches } from "./shell_lex.ts";
export { goQuote, ShellExpansionError } from "./errors.ts";
