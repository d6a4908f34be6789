import { endMarkerOf, wordRoles } from "./program-options.js";

/** A piece of a command line as the code builds it: literal text, or an interpolated expression. */
export type CommandPiece<N> = { literal: string } | { expr: string; node: N };

const SHELL_SYNTAX = /[|&;<>`]|\$\(|\$\{|\n/;

export interface SplitCommand<N> {
  program: string;
  /** The argument words, each made of one or more pieces. */
  words: CommandPiece<N>[][];
  /** Where the end-of-options marker belongs (an index into `words`), or undefined when none is needed or none can go. */
  endAt?: number;
  /** `--`, or `--end-of-options` for git, where `--` would turn a revision into a path. */
  endMarker: string;
  /**
   * Input words the marker cannot protect (an option follows them, or the program has no marker):
   * the rewrite must refuse a leading `-` in them instead.
   */
  unguarded: number[];
}

/**
 * Splits a command line into a program and argument words the way a shell would (quotes in the
 * literal text are dropped), for a remediation that runs it without a shell: the language's rule
 * renders the words in its own syntax. Each option keeps its value (`-C <dir>`, `-n <count>`, see
 * program-options.ts); the end-of-options marker goes before the first operand that is tool input,
 * when no option follows it and the program has one. Returns the shell syntax (pipes, redirects,
 * `;`) that an argument list cannot express, or undefined when the command does not start with a
 * literal program name.
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
  const literalOf = (w: CommandPiece<N>[]) => (w.every((p) => "literal" in p) ? w.map((p) => (p as { literal: string }).literal).join("") : undefined);
  const roles = wordRoles(program, args.map(literalOf));
  const marker = endMarkerOf(program);
  // A word made of a literal prefix and input (`--ref=${x}`, `HEAD:${x}`) cannot start with `-`.
  const isInputWord = (w: CommandPiece<N>[]) => "expr" in w[0]! && w.some((p) => "expr" in p && isInput(p.node));
  const inputs = args.flatMap((w, i) => (isInputWord(w) && roles[i] === "operand" && !roles.slice(0, i).includes("end") ? [i] : []));
  const firstInput = inputs[0];
  const optionAfter = (i: number) => roles.slice(i + 1).some((r) => r === "option");
  const endAt = firstInput !== undefined && marker !== null && !optionAfter(firstInput) ? firstInput : undefined;
  const unguarded = endAt === undefined ? inputs : [];
  return { program, words: args, endAt, endMarker: marker ?? "--", unguarded };
}
