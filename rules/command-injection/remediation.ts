import { Node, SyntaxKind } from "ts-morph";
import { constInitializer, declarationOf, unwrap } from "../../src/engine/values.js";

type Piece = { literal: string } | { expr: string; node: Node };

const SHELL_SYNTAX = /[|&;<>`]|\$\(|\$\{|\n/;
/** Programs for which `--` would be printed or misread rather than end option parsing. */
const NO_DOUBLE_DASH = new Set(["echo", "printf", "node", "python", "python3", "sh", "bash"]);

/** Flattens a command string expression into literal and interpolated pieces, following one variable. */
export function commandPieces(expr: Node, follow = true): Piece[] | undefined {
  const node = unwrap(expr);
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return [{ literal: node.getLiteralValue() }];
  if (Node.isTemplateExpression(node)) {
    const pieces: Piece[] = [{ literal: node.getHead().getLiteralText() }];
    for (const span of node.getTemplateSpans()) {
      pieces.push({ expr: span.getExpression().getText(), node: span.getExpression() }, { literal: span.getLiteral().getLiteralText() });
    }
    return pieces;
  }
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = commandPieces(node.getLeft(), false) ?? [{ expr: node.getLeft().getText(), node: node.getLeft() }];
    const right = commandPieces(node.getRight(), false) ?? [{ expr: node.getRight().getText(), node: node.getRight() }];
    return [...left, ...right];
  }
  if (follow && Node.isIdentifier(node)) {
    // Only a variable that is never reassigned: `cmd += input` would make its initializer lie.
    const decl = declarationOf(node);
    const init = decl ? constInitializer(decl) : undefined;
    return init ? commandPieces(init, false) : undefined;
  }
  return undefined;
}

export interface Rewrite {
  program: string;
  args: string[];
}

/**
 * Splits pieces into a program and an argument list for execFile, the way a shell would split
 * words (quotes in the literal text are dropped). Undefined when the command does not start with
 * a literal program name, or uses shell syntax (pipes, redirects, `;`) that execFile cannot express.
 */
export function toArgv(pieces: Piece[], isInput: (node: Node) => boolean): Rewrite | { shellSyntax: string } | undefined {
  for (const p of pieces) if ("literal" in p && SHELL_SYNTAX.test(p.literal)) return { shellSyntax: p.literal.match(SHELL_SYNTAX)![0].trim() || "newline" };
  const words: Piece[][] = [];
  let current: Piece[] = [];
  for (const piece of pieces) {
    if ("expr" in piece) {
      current.push(piece);
      continue;
    }
    const parts = piece.literal.replace(/["']/g, "").split(/\s+/);
    parts.forEach((part, i) => {
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
  const args = words.slice(1).map(renderWord);
  const firstInput = words.slice(1).findIndex((w) => w.length === 1 && "expr" in w[0]! && isInput(w[0].node));
  const laterOption = words.slice(1 + Math.max(firstInput, 0)).some((w) => "literal" in w[0]! && w[0].literal.startsWith("-"));
  if (firstInput >= 0 && !laterOption && !NO_DOUBLE_DASH.has(program) && !args.includes("'--'")) args.splice(firstInput, 0, "'--'");
  return { program: `'${program}'`, args };
}

function renderWord(word: Piece[]): string {
  if (word.length === 1) {
    const only = word[0]!;
    return "expr" in only ? only.expr : `'${only.literal.replace(/'/g, "\\'")}'`;
  }
  return "`" + word.map((p) => ("expr" in p ? "${" + p.expr + "}" : p.literal.replace(/`/g, "\\`"))).join("") + "`";
}
