import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { exportedDeclaration, linkedModule } from "./imports.js";
import { functionOf, type FunctionLike } from "./mcp.js";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";
import type { Workspace } from "./workspace.js";

/**
 * Functions, calls and constants across the files of one analysis, for rules that follow values
 * rather than taint (where a server listens, what a check compares). Functions and calls come
 * from the analysis's Resolver (imports, barrels, aliases, methods); constants from the exports
 * that imports lead to. A module outside the analysis ends the trail.
 */

/** The function a callee names, in this file or in another file of the analysis. */
export function calledFunction(callee: Node, workspace: Workspace | undefined): FunctionLike | undefined {
  return functionOf(callee) ?? workspace?.resolver().functionsOf(callee)[0];
}

/** The calls of a function, in its own file and in the other files of the analysis. */
export function callsOf(fn: FunctionLike, workspace: Workspace | undefined): CallExpression[] {
  if (workspace) return workspace.resolver().callersOf(fn);
  return descendantsOfKind(fn.getSourceFile(), SyntaxKind.CallExpression).filter((call) => functionOf(call.getExpression()) === fn);
}

/** What an identifier imported from another file of the analysis is initialized with (`import { HOST } from "./config.js"`, `cfg.HOST` with `import * as cfg`). */
export function importedValue(id: Node, workspace: Workspace | undefined): Node | undefined {
  if (!workspace) return undefined;
  const node = unwrap(id);
  const imported = Node.isIdentifier(node) ? importOf(node) : Node.isPropertyAccessExpression(node) ? namespaceMember(node) : undefined;
  if (!imported) return undefined;
  const target = linkedModule(node.getSourceFile(), imported.specifier);
  const decl = target ? exportedDeclaration(target, imported.name) : undefined;
  return decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
}

/** Where a node is, for messages: "src/config.ts line 12", or "line 12" in the file being reported. */
export function whereIs(node: Node, from: SourceFile, workspace: Workspace | undefined): string {
  const sf = node.getSourceFile();
  const line = node.getStartLineNumber();
  if (sf === from) return `line ${line}`;
  const path = workspace?.pathFor(sf);
  return path ? `${path} line ${line}` : `line ${line} of another file`;
}

/** The module an imported identifier comes from, and the name it has there. */
function importOf(id: import("ts-morph").Identifier): { specifier: string; name: string } | undefined {
  const decl = declarationOf(id);
  if (!decl) return undefined;
  if (Node.isImportSpecifier(decl)) return { specifier: decl.getImportDeclaration().getModuleSpecifierValue(), name: decl.getName() };
  if (Node.isImportClause(decl)) {
    const owner = decl.getParent();
    return Node.isImportDeclaration(owner) ? { specifier: owner.getModuleSpecifierValue(), name: "default" } : undefined;
  }
  if (Node.isBindingElement(decl)) {
    const owner = decl.getParent().getParent();
    const spec = Node.isVariableDeclaration(owner) ? requiredSpecifier(owner.getInitializer()) : undefined;
    return spec ? { specifier: spec, name: decl.getPropertyNameNode()?.getText() ?? decl.getName() } : undefined;
  }
  return undefined;
}

/** `ns.NAME` with `import * as ns` or `const ns = require("./m")`. */
function namespaceMember(access: import("ts-morph").PropertyAccessExpression): { specifier: string; name: string } | undefined {
  const base = unwrap(access.getExpression());
  const decl = Node.isIdentifier(base) ? declarationOf(base) : undefined;
  let specifier: string | undefined;
  if (decl && Node.isNamespaceImport(decl)) specifier = decl.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)?.getModuleSpecifierValue();
  else if (decl && Node.isVariableDeclaration(decl)) specifier = requiredSpecifier(decl.getInitializer());
  return specifier ? { specifier, name: access.getName() } : undefined;
}

function requiredSpecifier(init: Node | undefined): string | undefined {
  const node = init ? unwrap(init) : undefined;
  if (!node || !Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  const arg = node.getArguments()[0];
  return Node.isIdentifier(callee) && callee.getText() === "require" && arg && Node.isStringLiteral(arg) ? arg.getLiteralValue() : undefined;
}
