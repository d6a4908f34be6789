import { Node, SyntaxKind } from "ts-morph";
import { splitCommand, type CommandPiece } from "../../src/engine/argv.js";
import { constInitializer, declarationOf, unwrap } from "../../src/engine/values.js";

type Piece = CommandPiece<Node>;

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
 * The command as a program and an argument list for execFile (see splitCommand), or the shell
 * syntax that keeps it from being one.
 */
export function toArgv(pieces: Piece[], isInput: (node: Node) => boolean): Rewrite | { shellSyntax: string } | undefined {
  const split = splitCommand(pieces, isInput);
  if (!split || "shellSyntax" in split) return split;
  const args = split.words.map(renderWord);
  if (split.endAt !== undefined) args.splice(split.endAt, 0, `'${split.endMarker}'`);
  return { program: `'${split.program}'`, args };
}

function renderWord(word: Piece[]): string {
  if (word.length === 1) {
    const only = word[0]!;
    return "expr" in only ? only.expr : `'${only.literal.replace(/'/g, "\\'")}'`;
  }
  return "`" + word.map((p) => ("expr" in p ? "${" + p.expr + "}" : p.literal.replace(/`/g, "\\`"))).join("") + "`";
}
