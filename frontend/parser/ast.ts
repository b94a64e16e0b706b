/**
 * The Dockerfile syntax tree, shaped like BuildKit's `parser.Node` so that the
 * instruction layer can follow BuildKit's semantics one to one.
 *
 * @module
 */

/** One heredoc attached to an instruction (`RUN <<EOF ... EOF`). */
export interface Heredoc {
  /** Delimiter word, without quotes or the `-` prefix. */
  name: string;
  /** Body text, ending with a newline (as BuildKit keeps it); tabs stripped when `chomp`. */
  content: string;
  /** File descriptor the heredoc feeds (`3<<EOF`); 0 when not given. */
  fileDescriptor: number;
  /** False when the delimiter was quoted: the body is taken literally. */
  expand: boolean;
  /** True for `<<-EOF`: leading tabs were removed from every body line. */
  chomp: boolean;
}

/** A node of the tree: the root, an instruction, or one argument in an instruction's `next` chain. */
export interface Node {
  /** Top-level: lowercased instruction keyword; argument nodes: the argument text. */
  value: string;
  /** Next argument in the chain. */
  next?: Node;
  /** Only on the root: one node per instruction. */
  children: Node[];
  heredocs: Heredoc[];
  /** Exec/JSON form (`CMD ["a", "b"]`). */
  json: boolean;
  /** The instruction as written (continuations joined), for messages and image history. */
  original: string;
  /** Leading `--x=y` flags as written. */
  flags: string[];
  /** 1-based first line of the instruction. */
  startLine: number;
  /** 1-based last line of the instruction (heredoc bodies included). */
  endLine: number;
}

/** A parser directive at the top of the file (`# syntax=`, `# escape=`, `# check=`). */
export interface Directive {
  name: string;
  value: string;
  line: number;
}

/** A non-fatal problem the parser noticed (e.g. empty continuation lines). */
export interface Warning {
  message: string;
  line: number;
}

/** What `parseDockerfile` returns. */
export interface ParseResult {
  ast: Node;
  escapeToken: "\\" | "`";
  directives: Directive[];
  warnings: Warning[];
  /** BuildKit's S-expression dump, one instruction a line (its `result` test files). */
  dump(): string;
}
