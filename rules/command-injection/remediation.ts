import { Node, SyntaxKind } from "ts-morph";
import { splitCommand, type CommandPiece } from "../../src/engine/split-command.js";
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
  /** Statements that refuse a leading `-` in input words no end-of-options marker can protect. */
  checks: string[];
}

/**
 * The command as a program and an argument list for execFile (see splitCommand), or the shell
 * syntax that keeps it from being one. Options keep their values, the end-of-options marker goes
 * before operands only, and a value that is not tool input (a number from the schema, a constant)
 * becomes a string with `String(...)`, as an argument list needs.
 */
export function toArgv(pieces: Piece[], isInput: (node: Node) => boolean): Rewrite | { shellSyntax: string } | undefined {
  const split = splitCommand(pieces, isInput);
  if (!split || "shellSyntax" in split) return split;
  const args = split.words.map((w) => renderWord(w, isInput));
  if (split.endAt !== undefined) args.splice(split.endAt, 0, `'${split.endMarker}'`);
  const checks = split.unguarded.map((i) => `if (${renderWord(split.words[i]!, isInput)}.startsWith("-")) throw new Error("invalid argument");`);
  return { program: `'${split.program}'`, args, checks };
}

function renderWord(word: Piece[], isInput: (node: Node) => boolean): string {
  if (word.length === 1) {
    const only = word[0]!;
    if ("literal" in only) return `'${only.literal.replace(/'/g, "\\'")}'`;
    return isInput(only.node) || isStringValued(only.node) ? only.expr : `String(${only.expr})`;
  }
  return "`" + word.map((p) => ("expr" in p ? "${" + p.expr + "}" : p.literal.replace(/`/g, "\\`"))).join("") + "`";
}

/** A string literal, a template or a string method's result: already a string. */
function isStringValued(node: Node): boolean {
  const n = unwrap(node);
  return Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n) || Node.isTemplateExpression(n);
}
