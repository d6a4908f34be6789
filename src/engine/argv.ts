/** A piece of a command line as the code builds it: literal text, or an interpolated expression. */
export type CommandPiece<N> = { literal: string } | { expr: string; node: N };

const SHELL_SYNTAX = /[|&;<>`]|\$\(|\$\{|\n/;
/** Programs for which `--` would be printed or misread rather than end option parsing. */
const NO_DOUBLE_DASH = new Set(["echo", "printf", "node", "python", "python3", "sh", "bash"]);

export interface SplitCommand<N> {
  program: string;
  /** The argument words, each made of one or more pieces. */
  words: CommandPiece<N>[][];
  /** Where an end-of-options marker belongs (an index into `words`), or undefined when none is needed. */
  endAt?: number;
  /** `--`, or `--end-of-options` for git, where `--` would turn a revision into a path. */
  endMarker: string;
}

/**
 * Splits a command line into a program and argument words the way a shell would (quotes in the
 * literal text are dropped), for a remediation that runs it without a shell: the language's rule
 * renders the words in its own syntax. The end-of-options marker goes before the first word that
 * is tool input, unless an option follows it or the program does not take one. Returns the shell
 * syntax (pipes, redirects, `;`) that an argument list cannot express, or undefined when the
 * command does not start with a literal program name.
 */
export function splitCommand<N>(pieces: readonly CommandPiece<N>[], isInput: (node: N) => boolean): SplitCommand<N> | { shellSyntax: string } | undefined {
  for (const p of pieces) if ("literal" in p && SHELL_SYNTAX.test(p.literal)) return { shellSyntax: p.literal.match(SHELL_SYNTAX)![0].trim() || "newline" };
  const words: CommandPiece<N>[][] = [];
  let current: CommandPiece<N>[] = [];
  for (const piece of pieces) {
    if ("expr" in piece) {
      current.push(piece);
      continue;
    }
    piece.literal
      .replace(/["']/g, "")
      .split(/\s+/)
      .forEach((part, i) => {
        if (i > 0 && current.length > 0) {
          words.push(current);
          current = [];
        }
        if (part) current.push({ literal: part });
      });
  }
  if (current.length > 0) words.push(current);
  const first = words[0];
  if (!first || first.length !== 1 || !("literal" in first[0]!)) return undefined;
  const program = first[0].literal;
  const args = words.slice(1);
  const endMarker = program === "git" ? "--end-of-options" : "--";
  const firstInput = args.findIndex((w) => w.length === 1 && "expr" in w[0]! && isInput(w[0].node));
  const laterOption = args.slice(Math.max(firstInput, 0)).some((w) => "literal" in w[0]! && w[0].literal.startsWith("-"));
  const hasMarker = args.some((w) => w.length === 1 && "literal" in w[0]! && w[0].literal === endMarker);
  const needed = firstInput >= 0 && !laterOption && !NO_DOUBLE_DASH.has(program) && !hasMarker;
  return { program, words: args, endAt: needed ? firstInput : undefined, endMarker };
}
