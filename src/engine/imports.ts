import { Node, SyntaxKind, ts, type SourceFile } from "ts-morph";
import { declarationOf, descendantsOfKindWhere, unwrap, unwrapCompiler } from "./values.js";

/** What an expression refers to in a module: `name` is "*" for the module object itself. */
export interface ModuleRef {
  /** Module specifier without the `node:` prefix, e.g. "child_process". */
  module: string;
  name: string;
  /** Reached through `util.promisify(...)`. */
  promisified: boolean;
}

/**
 * Resolves an expression (typically a callee) to the module export it names, through ES
 * imports (named, default, namespace), `require`, destructured `require`, aliases and
 * `promisify`. Intra-file only.
 */
export function moduleRefOf(expr: Node, depth = 0): ModuleRef | undefined {
  if (depth > 6) return undefined;
  const node = unwrap(expr);
  if (Node.isIdentifier(node)) {
    // Most callees (`z.string`, `res.json`, `text.split`) name nothing bound to a module: say so
    // without asking the type checker, the engine's most asked and costliest question.
    if (!moduleBoundNames(node.getSourceFile()).has(node.getText())) return undefined;
    const decl = declarationOf(node);
    const ref = decl ? refOfDeclaration(decl, depth) : undefined;
    return ref ? throughLinkedModule(ref, node.getSourceFile(), depth) : undefined;
  }
  if (Node.isPropertyAccessExpression(node)) {
    const base = moduleRefOf(node.getExpression(), depth + 1);
    if (base && base.name === "*") return throughLinkedModule(subModule({ ...base, name: node.getName() }), node.getSourceFile(), depth);
    return undefined;
  }
  if (Node.isElementAccessExpression(node)) {
    const base = moduleRefOf(node.getExpression(), depth + 1);
    const arg = node.getArgumentExpression();
    if (base && base.name === "*" && arg && Node.isStringLiteral(arg)) return throughLinkedModule(subModule({ ...base, name: arg.getLiteralValue() }), node.getSourceFile(), depth);
    return undefined;
  }
  if (Node.isCallExpression(node)) {
    const required = requiredModule(node);
    if (required) return { module: required, name: "*", promisified: false };
    if (isPromisify(node.getExpression(), depth) && node.getArguments()[0]) {
      const inner = moduleRefOf(node.getArguments()[0]!, depth + 1);
      return inner ? { ...inner, promisified: true } : undefined;
    }
  }
  if (Node.isAwaitExpression(node)) {
    const inner = unwrap(node.getExpression());
    if (Node.isCallExpression(inner) && inner.getExpression().getKind() === SyntaxKind.ImportKeyword) {
      const spec = inner.getArguments()[0];
      if (spec && Node.isStringLiteral(spec)) return { module: normalizeModule(spec.getLiteralValue()), name: "*", promisified: false };
    }
  }
  return undefined;
}

const boundNames = new WeakMap<SourceFile, Set<string>>();

/**
 * Every name a file declares that could refer to a module or one of its exports, by the shapes
 * `moduleRefOf` follows: imports; variables initialized with `require(...)`, `await import(...)`,
 * `promisify(...)` or an access to such a name; names destructured from those. Scopes are
 * ignored, so the set is larger than the truth, never smaller: a name outside it cannot resolve
 * to a module.
 */
export function moduleBoundNames(sourceFile: SourceFile): Set<string> {
  let names = boundNames.get(sourceFile);
  if (names) return names;
  names = new Set<string>();
  for (const decl of sourceFile.getImportDeclarations()) {
    const clause = decl.getImportClause();
    const defaultName = clause?.getDefaultImport()?.getText();
    if (defaultName) names.add(defaultName);
    const namespace = clause?.getNamespaceImport()?.getText();
    if (namespace) names.add(namespace);
    for (const specifier of clause?.getNamedImports() ?? []) names.add((specifier.getAliasNode() ?? specifier.getNameNode()).getText());
  }
  const declarations = descendantsOfKindWhere(sourceFile, SyntaxKind.VariableDeclaration, (d) => {
    const init = (d as ts.VariableDeclaration).initializer;
    return init !== undefined && mayReferByShape(init);
  });
  const mayRefer = (expr: Node): boolean => {
    const node = unwrap(expr);
    if (Node.isIdentifier(node)) return names.has(node.getText());
    if (Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node)) return mayRefer(node.getExpression());
    if (Node.isCallExpression(node)) {
      const callee = unwrap(node.getExpression());
      const first = node.getArguments()[0];
      if (Node.isIdentifier(callee) && callee.getText() === "require") return true;
      return first !== undefined && (mayRefer(callee) || (Node.isIdentifier(callee) && callee.getText() === "promisify")) && mayRefer(first);
    }
    if (Node.isAwaitExpression(node)) {
      const inner = unwrap(node.getExpression());
      return Node.isCallExpression(inner) && inner.getExpression().getKind() === SyntaxKind.ImportKeyword;
    }
    return false;
  };
  // To a fixed point: `const cp = require("child_process"); const run = cp.exec;`, in any order.
  for (let changed = true; changed; ) {
    changed = false;
    for (const decl of declarations) {
      if (!mayRefer(decl.getInitializerOrThrow())) continue;
      const nameNode = decl.getNameNode();
      const bound = Node.isIdentifier(nameNode) ? [nameNode.getText()] : Node.isObjectBindingPattern(nameNode) ? nameNode.getElements().map((e) => e.getName()) : [];
      for (const name of bound) if (!names.has(name)) (names.add(name), (changed = true));
    }
  }
  boundNames.set(sourceFile, names);
  return names;
}

/**
 * Whether an initializer has a shape `mayRefer` can accept, whatever names are bound: a name or an
 * access on one, a call, an `await`. Tested on compiler nodes, so the rest are never wrapped.
 */
function mayReferByShape(expr: ts.Node): boolean {
  const node = unwrapCompiler(expr);
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) return mayReferByShape(node.expression);
  return ts.isIdentifier(node) || ts.isCallExpression(node) || ts.isAwaitExpression(node);
}

export function normalizeModule(specifier: string): string {
  return specifier.startsWith("node:") ? specifier.slice(5) : specifier;
}

/**
 * `fs.promises` is the module `fs/promises`: `import { promises as fs } from "fs"`,
 * `require("fs").promises` and `fs.promises.readFile` all name its functions.
 */
function subModule(ref: ModuleRef): ModuleRef {
  return ref.name === "promises" && !ref.module.startsWith(".") ? { ...ref, module: `${ref.module}/promises`, name: "*" } : ref;
}

/**
 * A name imported from another file of the analysis (`import { execAsync } from "./utils/exec.js"`)
 * refers to what that file binds it to, through re-exports and barrels: the module function itself
 * when the file re-exports it or wraps it in `promisify`.
 */
function throughLinkedModule(ref: ModuleRef, from: SourceFile, depth: number): ModuleRef {
  if (ref.name === "*" || isPackage(ref.module)) return ref;
  const target = linkedModule(from, ref.module);
  const decl = target ? exportedDeclaration(target, ref.name) : undefined;
  if (!decl) return ref;
  const inner = Node.isExportSpecifier(decl)
    ? packageExport(decl)
    : Node.isVariableDeclaration(decl) || Node.isImportSpecifier(decl) || Node.isBindingElement(decl) || Node.isNamespaceImport(decl) || Node.isImportClause(decl)
      ? refOfDeclaration(decl, depth + 1)
      : undefined;
  return inner ? { ...inner, promisified: inner.promisified || ref.promisified } : ref;
}

/** `export { exec } from "child_process"`: the package export an export specifier names. */
function packageExport(spec: import("ts-morph").ExportSpecifier): ModuleRef | undefined {
  const module = spec.getExportDeclaration().getModuleSpecifierValue();
  return module && isPackage(module) ? subModule({ module: normalizeModule(module), name: spec.getName(), promisified: false }) : undefined;
}

function isPackage(specifier: string): boolean {
  return !specifier.startsWith(".") && !specifier.startsWith("/") && !ALIAS_PREFIX.test(specifier);
}

/** Specifiers that tsconfig `paths` commonly map into the project (`~/utils`, `@/lib/x`, `#src/x`). */
const ALIAS_PREFIX = /^(?:~|@|#)\//;

function refOfDeclaration(decl: Node, depth: number): ModuleRef | undefined {
  if (Node.isImportSpecifier(decl)) {
    const module = normalizeModule(decl.getImportDeclaration().getModuleSpecifierValue());
    return subModule({ module, name: decl.getName(), promisified: false });
  }
  if (Node.isNamespaceImport(decl)) {
    const importDecl = decl.getFirstAncestorByKind(SyntaxKind.ImportDeclaration);
    return importDecl && Node.isImportDeclaration(importDecl)
      ? { module: normalizeModule(importDecl.getModuleSpecifierValue()), name: "*", promisified: false }
      : undefined;
  }
  if (Node.isImportClause(decl)) {
    const owner = decl.getParent();
    return Node.isImportDeclaration(owner) ? { module: normalizeModule(owner.getModuleSpecifierValue()), name: "*", promisified: false } : undefined;
  }
  if (Node.isVariableDeclaration(decl)) {
    const init = decl.getInitializer();
    return init ? moduleRefOf(init, depth + 1) : undefined;
  }
  if (Node.isBindingElement(decl)) {
    const pattern = decl.getParent();
    const owner = pattern.getParent();
    if (!Node.isObjectBindingPattern(pattern) || !Node.isVariableDeclaration(owner)) return undefined;
    const init = owner.getInitializer();
    const base = init ? moduleRefOf(init, depth + 1) : undefined;
    if (!base || base.name !== "*") return undefined;
    const key = decl.getPropertyNameNode()?.getText() ?? decl.getName();
    return throughLinkedModule(subModule({ ...base, name: key }), decl.getSourceFile(), depth);
  }
  return undefined;
}

function requiredModule(call: Node): string | undefined {
  if (!Node.isCallExpression(call)) return undefined;
  const callee = call.getExpression();
  const arg = call.getArguments()[0];
  if (Node.isIdentifier(callee) && callee.getText() === "require" && arg && Node.isStringLiteral(arg)) {
    return normalizeModule(arg.getLiteralValue());
  }
  return undefined;
}

function isPromisify(callee: Node, depth: number): boolean {
  const ref = moduleRefOf(callee, depth + 1);
  if (ref) return ref.module === "util" && ref.name === "promisify";
  return Node.isIdentifier(callee) && callee.getText() === "promisify";
}

/** Module specifiers imported or required by a file. */
export function importedModules(sourceFile: Node): string[] {
  const sf = sourceFile.getSourceFile();
  const out = sf.getImportDeclarations().map((d) => d.getModuleSpecifierValue());
  for (const match of sf.getFullText().matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)) out.push(match[1]!);
  return out;
}

/** Resolves the module specifiers of one file to other parsed files of the analysis. */
export interface ModuleLinker {
  resolve(from: SourceFile, specifier: string): SourceFile | undefined;
}

const linkers = new WeakMap<SourceFile, ModuleLinker>();

/** Records how `file`'s imports resolve (the Workspace does, for every file it parses). */
export function linkModule(file: SourceFile, linker: ModuleLinker): void {
  linkers.set(file, linker);
}

/** The parsed file a specifier of `from` names, when both are part of one analysis. */
export function linkedModule(from: SourceFile, specifier: string): SourceFile | undefined {
  return linkers.get(from)?.resolve(from, specifier);
}

/**
 * The declaration a module exports under `name`: `export function|class|const`, `export { local as
 * name }`, `export { name } from "./x"` and `export * from "./x"` barrels (followed into linked
 * files), `export default`, `exports.name = ...` and `module.exports = { name }`. An export
 * specifier is returned as such when it re-exports from a package or a file outside the analysis.
 */
export function exportedDeclaration(file: SourceFile, name: string, depth = 0): Node | undefined {
  let cache = exportCache.get(file);
  if (!cache) exportCache.set(file, (cache = new Map()));
  if (cache.has(name)) return cache.get(name) ?? undefined;
  cache.set(name, null); // a cycle of barrels ends here
  const found = findExport(file, name, depth);
  cache.set(name, found ?? null);
  return found;
}

const exportCache = new WeakMap<SourceFile, Map<string, Node | null>>();

function findExport(file: SourceFile, name: string, depth: number): Node | undefined {
  if (depth > 8) return undefined;
  if (name === "default") {
    for (const assignment of file.getExportAssignments()) if (!assignment.isExportEquals()) return assignment.getExpression();
    for (const statement of file.getStatements()) {
      if ((Node.isFunctionDeclaration(statement) || Node.isClassDeclaration(statement)) && statement.isDefaultExport()) return implementation(statement);
    }
  }
  for (const statement of file.getStatements()) {
    if ((Node.isFunctionDeclaration(statement) || Node.isClassDeclaration(statement)) && statement.getName() === name && statement.isExported()) return implementation(statement);
    if (Node.isVariableStatement(statement) && statement.isExported()) {
      const decl = statement.getDeclarations().find((d) => d.getName() === name);
      if (decl) return decl;
    }
  }
  const stars: string[] = [];
  for (const decl of file.getExportDeclarations()) {
    const specifier = decl.getModuleSpecifierValue();
    const named = decl.getNamedExports();
    if (named.length === 0) {
      if (specifier && !decl.getNamespaceExport()) stars.push(specifier);
      continue;
    }
    for (const spec of named) {
      if ((spec.getAliasNode()?.getText() ?? spec.getName()) !== name) continue;
      if (!specifier) return localDeclaration(file, spec.getName()) ?? spec;
      const target = linkedModule(file, specifier);
      return (target && exportedDeclaration(target, spec.getName(), depth + 1)) || spec;
    }
  }
  const commonJs = commonJsExport(file, name);
  if (commonJs) return commonJs;
  for (const specifier of stars) {
    const target = linkedModule(file, specifier);
    const found = target ? exportedDeclaration(target, name, depth + 1) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** The overload with a body, for a function declared with overload signatures. */
function implementation<T extends Node>(decl: T): T {
  if (Node.isFunctionDeclaration(decl) && !decl.getBody()) return (decl.getImplementation() as T | undefined) ?? decl;
  return decl;
}

/** The top-level declaration of `name` in a file: a function, class, variable or import binding. */
export function localDeclaration(file: SourceFile, name: string): Node | undefined {
  const fn = file.getFunction(name);
  if (fn) return implementation(fn);
  return file.getClass(name) ?? file.getVariableDeclaration(name) ?? importBinding(file, name);
}

function importBinding(file: SourceFile, name: string): Node | undefined {
  for (const decl of file.getImportDeclarations()) {
    const clause = decl.getImportClause();
    if (!clause) continue;
    if (clause.getDefaultImport()?.getText() === name) return clause;
    if (clause.getNamespaceImport()?.getText() === name) return clause.getNamespaceImport()!.getParent();
    for (const spec of clause.getNamedImports()) if ((spec.getAliasNode() ?? spec.getNameNode()).getText() === name) return spec;
  }
  return undefined;
}

/** `exports.name = value`, `module.exports.name = value`, `module.exports = { name }`: the value (or its declaration). */
function commonJsExport(file: SourceFile, name: string): Node | undefined {
  if (!/\bexports\b/.test(file.getFullText())) return undefined;
  for (const statement of file.getStatements()) {
    if (!Node.isExpressionStatement(statement)) continue;
    const assignment = statement.getExpression();
    if (!Node.isBinaryExpression(assignment) || assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
    const left = assignment.getLeft().getText().replace(/\s+/g, "");
    if (left === `exports.${name}` || left === `module.exports.${name}`) return assignment.getRight();
    if (left === "module.exports") {
      const right = unwrap(assignment.getRight());
      if (name === "default" && !Node.isObjectLiteralExpression(right)) return right;
      if (!Node.isObjectLiteralExpression(right)) continue;
      const prop = right.getProperty(name);
      if (prop && Node.isShorthandPropertyAssignment(prop)) return localDeclaration(file, name);
      if (prop && Node.isPropertyAssignment(prop)) return prop.getInitializer();
      if (prop && Node.isMethodDeclaration(prop)) return prop;
    }
  }
  return undefined;
}
