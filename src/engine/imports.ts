import { Node, SyntaxKind, type SourceFile } from "ts-morph";
import { declarationOf, descendantsOfKind, unwrap } from "./values.js";

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
    return decl ? refOfDeclaration(decl, depth) : undefined;
  }
  if (Node.isPropertyAccessExpression(node)) {
    const base = moduleRefOf(node.getExpression(), depth + 1);
    if (base && base.name === "*") return { ...base, name: node.getName() };
    return undefined;
  }
  if (Node.isElementAccessExpression(node)) {
    const base = moduleRefOf(node.getExpression(), depth + 1);
    const arg = node.getArgumentExpression();
    if (base && base.name === "*" && arg && Node.isStringLiteral(arg)) return { ...base, name: arg.getLiteralValue() };
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
  const declarations = descendantsOfKind(sourceFile, SyntaxKind.VariableDeclaration).filter((d) => d.getInitializer() !== undefined);
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

export function normalizeModule(specifier: string): string {
  return specifier.startsWith("node:") ? specifier.slice(5) : specifier;
}

function refOfDeclaration(decl: Node, depth: number): ModuleRef | undefined {
  if (Node.isImportSpecifier(decl)) {
    const module = normalizeModule(decl.getImportDeclaration().getModuleSpecifierValue());
    return { module, name: decl.getName(), promisified: false };
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
    return { ...base, name: key };
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
