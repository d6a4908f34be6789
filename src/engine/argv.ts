import { Node, SyntaxKind } from "ts-morph";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";

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
