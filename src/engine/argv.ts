import { Node, SyntaxKind } from "ts-morph";
import { endMarkerOf, wordRoles } from "./program-options.js";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";

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

/**
 * The elements of an argument vector in the order the program receives them, as the code builds
 * it: an array literal (spreads of arrays it can see expanded), or a variable holding one with the
 * `push`/`unshift` calls and `concat` reassignments made on it in its function, in source order.
 * A spread it cannot see into stays one element (a `SpreadElement`). Undefined when the vector is
 * not built in sight (a parameter, a call's result).
 */
export function argvElements(expr: Node, depth = 0): Node[] | undefined {
  const node = unwrap(expr);
  if (depth > 4) return undefined;
  if (Node.isArrayLiteralExpression(node)) {
    return node.getElements().flatMap((e) => (Node.isSpreadElement(e) ? (argvElements(e.getExpression(), depth + 1) ?? [e]) : [e]));
  }
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return undefined;
    const method = callee.getName();
    if (method === "filter") return argvElements(callee.getExpression(), depth + 1);
    if (method !== "concat") return undefined;
    const base = argvElements(callee.getExpression(), depth + 1);
    if (!base) return undefined;
    return [...base, ...node.getArguments().flatMap((a) => argvElements(a, depth + 1) ?? [a])];
  }
  if (!Node.isIdentifier(node)) return undefined;
  const decl = declarationOf(node);
  if (!decl || !Node.isVariableDeclaration(decl) || !decl.getInitializer()) return undefined;
  const elements = argvElements(decl.getInitializerOrThrow(), depth + 1);
  if (!elements) return undefined;
  const scope = decl.getFirstAncestor((a) => Node.isFunctionDeclaration(a) || Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isMethodDeclaration(a)) ?? decl.getSourceFile();
  const name = decl.getName();
  const use = node.getStart();
  for (const call of descendantsOfKind(scope, SyntaxKind.CallExpression)) {
    if (call.getStart() < decl.getEnd() || call.getStart() > use) continue;
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) continue;
    const receiver = unwrap(callee.getExpression());
    if (!Node.isIdentifier(receiver) || receiver.getText() !== name || declarationOf(receiver) !== decl) continue;
    const added = call.getArguments().flatMap((a) => (Node.isSpreadElement(a) ? (argvElements(a.getExpression(), depth + 1) ?? [a]) : [a]));
    if (callee.getName() === "push") elements.push(...added);
    else if (callee.getName() === "unshift") elements.unshift(...added);
  }
  return elements;
}
