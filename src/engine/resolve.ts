import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { functionOf, type FunctionLike } from "./mcp.js";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";
import { exportedFunction, exportNamesOf, type Workspace } from "./workspace.js";

/**
 * Name resolution across the files of one analysis, for rules that follow values rather than
 * taint (where a server listens, what a check compares). Relative imports only, like the taint
 * engine: a module outside the analysis ends the trail.
 */

/** The module a declaration was imported from, and the name it exports there. */
function importOf(decl: Node): { specifier: string; name: string } | undefined {
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

function requiredSpecifier(init: Node | undefined): string | undefined {
  const node = init ? unwrap(init) : undefined;
  if (!node || !Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  const arg = node.getArguments()[0];
  return Node.isIdentifier(callee) && callee.getText() === "require" && arg && Node.isStringLiteral(arg) ? arg.getLiteralValue() : undefined;
}

/** The file a module-object expression (`import * as ns`, `const m = require("./m")`) stands for. */
function moduleFileOf(base: Node, workspace: Workspace): SourceFile | undefined {
  const node = unwrap(base);
  if (!Node.isIdentifier(node)) return undefined;
  const decl = declarationOf(node);
  let spec: string | undefined;
  if (decl && Node.isNamespaceImport(decl)) spec = decl.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)?.getModuleSpecifierValue();
  else if (decl && Node.isVariableDeclaration(decl)) spec = requiredSpecifier(decl.getInitializer());
  return spec ? workspace.resolve(node.getSourceFile(), spec) : undefined;
}

/** The function a callee names: defined in this file, or exported by a relatively imported module of the analysis. */
export function calledFunction(callee: Node, workspace: Workspace | undefined): FunctionLike | undefined {
  const local = functionOf(callee);
  if (local) return local;
  if (!workspace) return undefined;
  const node = unwrap(callee);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const imported = decl ? importOf(decl) : undefined;
    const target = imported ? workspace.resolve(node.getSourceFile(), imported.specifier) : undefined;
    return target ? exportedFunction(target, imported!.name) : undefined;
  }
  if (Node.isPropertyAccessExpression(node)) {
    const target = moduleFileOf(node.getExpression(), workspace);
    return target ? exportedFunction(target, node.getName()) : undefined;
  }
  return undefined;
}

/** The initializer of a module-level `const` another file of the analysis exports under `name`. */
function exportedConstant(sourceFile: SourceFile, name: string): Node | undefined {
  const decl = sourceFile.getVariableDeclaration(name);
  if (decl?.getVariableStatement()?.isExported()) return decl.getInitializer();
  for (const exported of sourceFile.getExportDeclarations()) {
    if (exported.getModuleSpecifier()) continue;
    for (const spec of exported.getNamedExports()) {
      if ((spec.getAliasNode()?.getText() ?? spec.getName()) === name) return sourceFile.getVariableDeclaration(spec.getName())?.getInitializer();
    }
  }
  return undefined;
}

/** What an identifier imported from another file of the analysis is initialized with (`import { HOST } from "./config.js"`). */
export function importedValue(id: Node, workspace: Workspace | undefined): Node | undefined {
  if (!workspace) return undefined;
  const node = unwrap(id);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const imported = decl ? importOf(decl) : undefined;
    const target = imported ? workspace.resolve(node.getSourceFile(), imported.specifier) : undefined;
    return target ? exportedConstant(target, imported!.name) : undefined;
  }
  if (Node.isPropertyAccessExpression(node)) {
    const target = moduleFileOf(node.getExpression(), workspace);
    return target ? exportedConstant(target, node.getName()) : undefined;
  }
  return undefined;
}

/** The calls of a function: by name in its own file, and through relative imports in the files of the analysis that import it. */
export function callsOf(fn: FunctionLike, workspace: Workspace | undefined): CallExpression[] {
  const home = fn.getSourceFile();
  const out: CallExpression[] = [];
  for (const call of descendantsOfKind(home, SyntaxKind.CallExpression)) if (functionOf(call.getExpression()) === fn) out.push(call);
  if (!workspace || exportNamesOf(fn).length === 0) return out;
  for (const importer of workspace.importersOf(home)) {
    for (const call of descendantsOfKind(importer, SyntaxKind.CallExpression)) if (calledFunction(call.getExpression(), workspace) === fn) out.push(call);
  }
  return out;
}

/** Where a node is, for messages: "src/config.ts line 12", or "line 12" in the file being reported. */
export function whereIs(node: Node, from: SourceFile, workspace: Workspace | undefined): string {
  const sf = node.getSourceFile();
  const line = node.getStartLineNumber();
  if (sf === from) return `line ${line}`;
  const path = workspace?.relativePath(sf);
  return path ? `${path} line ${line}` : `line ${line} of another file`;
}
