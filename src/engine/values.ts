import { Node, SyntaxKind, ts, type Identifier, type ShorthandPropertyAssignment, type SourceFile } from "ts-morph";

/** Strips parentheses, `as`, `!`, `satisfies` and `<T>x`: they change types, never values. */
export function unwrap(node: Node): Node {
  let current = node;
  for (;;) {
    if (
      Node.isParenthesizedExpression(current) ||
      Node.isAsExpression(current) ||
      Node.isNonNullExpression(current) ||
      Node.isSatisfiesExpression(current) ||
      Node.isTypeAssertion(current)
    ) {
      current = current.getExpression();
    } else {
      return current;
    }
  }
}

/** The declaration an identifier (or a `{ x }` shorthand) refers to, resolved within its file. */
export function declarationOf(node: Identifier | ShorthandPropertyAssignment): Node | undefined {
  try {
    // Per type checker: adding a file to the project makes a new one, which may answer differently.
    const checker = node.getProject().getTypeChecker().compilerObject;
    let known = declarations.get(checker);
    if (!known) declarations.set(checker, (known = new WeakMap()));
    const cached = known.get(node);
    if (cached !== undefined) return cached ?? undefined;
    const symbol = Node.isShorthandPropertyAssignment(node) ? node.getValueSymbol() : node.getSymbol();
    const decl = symbol?.getDeclarations()[0];
    known.set(node, decl ?? null);
    return decl;
  } catch {
    return undefined;
  }
}

/** `declarationOf` answers: the rules and the engine ask about the same identifiers again and again. */
const declarations = new WeakMap<object, WeakMap<Node, Node | null>>();

/** `unwrap` on a compiler node, for walks that wrap only what they keep. */
export function unwrapCompiler(node: ts.Node): ts.Node {
  let current = node;
  while (
    current.kind === SyntaxKind.ParenthesizedExpression ||
    current.kind === SyntaxKind.AsExpression ||
    current.kind === SyntaxKind.NonNullExpression ||
    current.kind === SyntaxKind.SatisfiesExpression ||
    current.kind === SyntaxKind.TypeAssertionExpression
  ) {
    current = (current as ts.ParenthesizedExpression).expression;
  }
  return current;
}

/** The initializer of a `const` declaration, or of a `let`/`var` that is never reassigned. */
export function constInitializer(decl: Node): Node | undefined {
  if (!Node.isVariableDeclaration(decl)) return undefined;
  const init = decl.getInitializer();
  if (!init) return undefined;
  const list = decl.getVariableStatement()?.getDeclarationKindKeywords()[0]?.getText();
  if (list === "const") return init;
  const name = decl.getName();
  const reassigned = descendantsOfKind(decl.getSourceFile(), SyntaxKind.BinaryExpression).some((b) => b.getOperatorToken().getText().endsWith("=") && isAssignmentOperator(b.getOperatorToken().getKind()) && b.getLeft().getText() === name);
  return reassigned ? undefined : init;
}

export function isAssignmentOperator(kind: SyntaxKind): boolean {
  return kind >= SyntaxKind.FirstAssignment && kind <= SyntaxKind.LastAssignment;
}

/**
 * The value of an expression when it is a compile-time string: literals, templates and `+` of
 * constants, `const` identifiers, and `[...].join(sep)` of constants. `undefined` otherwise.
 */
export function constantString(expr: Node, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  const node = unwrap(expr);
  if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return node.getLiteralValue();
  if (Node.isNumericLiteral(node)) return String(node.getLiteralValue());
  if (Node.isTemplateExpression(node)) {
    let out = node.getHead().getLiteralText();
    for (const span of node.getTemplateSpans()) {
      const value = constantString(span.getExpression(), depth + 1);
      if (value === undefined) return undefined;
      out += value + span.getLiteral().getLiteralText();
    }
    return out;
  }
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = constantString(node.getLeft(), depth + 1);
    const right = left === undefined ? undefined : constantString(node.getRight(), depth + 1);
    return left !== undefined && right !== undefined ? left + right : undefined;
  }
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const init = decl ? constInitializer(decl) : undefined;
    return init ? constantString(init, depth + 1) : undefined;
  }
  if (Node.isPropertyAccessExpression(node)) {
    const init = fieldInitializer(node);
    return init ? constantString(init, depth + 1) : undefined;
  }
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "join") {
      const target = unwrap(callee.getExpression());
      const array = Node.isIdentifier(target) ? resolveConst(target) : target;
      if (array && Node.isArrayLiteralExpression(array)) {
        const parts = array.getElements().map((e) => constantString(e, depth + 1));
        if (parts.some((p) => p === undefined)) return undefined;
        const sepArg = node.getArguments()[0];
        const sep = sepArg ? constantString(sepArg, depth + 1) : ",";
        return sep === undefined ? undefined : parts.join(sep);
      }
    }
  }
  return undefined;
}

/**
 * `this.baseUrl` or `Config.BASE_URL`: the initializer of a class field that nothing in the class
 * reassigns (`private readonly baseUrl = "https://api.example.com"`).
 */
function fieldInitializer(access: import("ts-morph").PropertyAccessExpression): Node | undefined {
  const receiver = unwrap(access.getExpression());
  const name = access.getName();
  let cls: import("ts-morph").ClassDeclaration | import("ts-morph").ClassExpression | undefined;
  let isStatic = false;
  if (receiver.getKind() === SyntaxKind.ThisKeyword) {
    cls = access.getFirstAncestor((a) => Node.isClassDeclaration(a) || Node.isClassExpression(a)) as typeof cls;
  } else if (Node.isIdentifier(receiver)) {
    const decl = declarationOf(receiver);
    if (decl && Node.isClassDeclaration(decl)) (cls = decl), (isStatic = true);
  }
  const prop = cls?.getProperty(name);
  if (!cls || !prop || !Node.isPropertyDeclaration(prop) || prop.isStatic() !== isStatic) return undefined;
  const init = prop.getInitializer();
  if (!init) return undefined;
  const reassigned = descendantsOfKind(cls, SyntaxKind.BinaryExpression).some((b) => {
    const left = b.getLeft();
    return isAssignmentOperator(b.getOperatorToken().getKind()) && Node.isPropertyAccessExpression(left) && left.getName() === name;
  });
  return reassigned ? undefined : init;
}

/** Follows an identifier to the initializer of the constant it names, if any. */
export function resolveConst(id: Identifier): Node | undefined {
  const decl = declarationOf(id);
  const init = decl ? constInitializer(decl) : undefined;
  return init ? unwrap(init) : undefined;
}

/** An expression or, when it is an identifier naming a constant, that constant's initializer. */
export function followConst(expr: Node): Node {
  const node = unwrap(expr);
  if (Node.isIdentifier(node)) return resolveConst(node) ?? node;
  return node;
}

/** The name of a property in an object literal, when static. */
export function propertyName(prop: Node): string | undefined {
  if (Node.isPropertyAssignment(prop) || Node.isShorthandPropertyAssignment(prop) || Node.isMethodDeclaration(prop)) {
    const name = prop.getNameNode();
    if (Node.isIdentifier(name) || Node.isPrivateIdentifier(name)) return name.getText();
    if (Node.isStringLiteral(name) || Node.isNumericLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return String(name.getLiteralValue());
    if (Node.isComputedPropertyName(name)) return constantString(name.getExpression());
  }
  return undefined;
}

/** The value of `name` in an object literal (a shorthand `{ name }` yields its identifier). */
export function propertyValue(object: Node, name: string): Node | undefined {
  const obj = followConst(object);
  if (!Node.isObjectLiteralExpression(obj)) return undefined;
  for (const prop of obj.getProperties()) {
    if (propertyName(prop) !== name) continue;
    if (Node.isPropertyAssignment(prop)) return prop.getInitializer();
    if (Node.isShorthandPropertyAssignment(prop)) return prop.getNameNode();
  }
  return undefined;
}

/** Whitespace-normalized text of a node: the basis of fingerprints and of quoted code. */
export function normalizedText(node: Node): string {
  return node.getText().replace(/\s+/g, " ").trim();
}

/** Short source text for messages: long or multi-line arguments become `(…) => { … }` or `…`. */
export function abbreviate(node: Node, max = 40): string {
  const text = node.getText();
  if (!text.includes("\n") && text.length <= max) return text;
  const inner = unwrap(node);
  if (Node.isArrowFunction(inner) || Node.isFunctionExpression(inner)) {
    const params = inner.getParameters().map((p) => p.getText()).join(", ");
    const head = Node.isArrowFunction(inner) ? `${inner.isAsync() ? "async " : ""}(${params}) =>` : `${inner.isAsync() ? "async " : ""}function (${params})`;
    return `${head} { … }`;
  }
  return `${text.replace(/\s+/g, " ").slice(0, max - 1)}…`;
}

/**
 * An expression shortened for a code snippet that must still parse: a function keeps its
 * parameters and shows its body as `{ /* … *\/ }`; anything else stays as written.
 */
export function elided(node: Node, max = 60): string {
  const text = node.getText();
  const inner = unwrap(node);
  if (text.length <= max || !(Node.isArrowFunction(inner) || Node.isFunctionExpression(inner))) return text;
  const params = inner.getParameters().map((p) => p.getText()).join(", ");
  const head = Node.isArrowFunction(inner) ? `${inner.isAsync() ? "async " : ""}(${params}) =>` : `${inner.isAsync() ? "async " : ""}function (${params})`;
  return `${head} { /* … */ }`;
}

/**
 * True when a node's text holds no comment, so a rewrite that rebuilds it from its parts loses
 * nothing. Conservative: `//` inside a string (a URL) counts too.
 */
export function withoutComments(node: Node): boolean {
  return !/\/\/|\/\*/.test(node.getText());
}

/**
 * Where a destructured name comes from: the declaration or parameter that holds the whole
 * pattern, and the keys read on the way down to the name (`"[]"` for an array element), e.g.
 * `const { a: [, b] } = x` gives `x`'s declaration and `["a", "[]"]`.
 */
export function bindingPath(element: import("ts-morph").BindingElement): { root: Node; keys: string[] } {
  const keys: string[] = [];
  let cur: Node = element;
  while (Node.isBindingElement(cur)) {
    const pattern = cur.getParentOrThrow();
    if (Node.isArrayBindingPattern(pattern)) keys.unshift("[]");
    else if (!cur.getDotDotDotToken()) keys.unshift(cur.getPropertyNameNode()?.getText().replace(/^["']|["']$/g, "") ?? cur.getName());
    cur = pattern.getParentOrThrow();
  }
  return { root: cur, keys };
}

const descendantCache = new WeakMap<Node, Map<SyntaxKind, Node[]>>();
/** Every compiler node of a file bucketed by kind, from one walk: the rules ask for a dozen kinds. */
const compilerIndex = new WeakMap<Node, Map<SyntaxKind, ts.Node[]>>();

type Wrapping = { _getNodeFromCompilerNode?(node: ts.Node): Node };

/** The file's descendants of a kind from the one-walk index, wrapped as ts-morph nodes. */
function indexedDescendants(sourceFile: SourceFile, kind: SyntaxKind): Node[] {
  const wrap = wrapperOf(sourceFile);
  const nodes = wrap && compilerDescendants(sourceFile, kind);
  if (!wrap || !nodes) return sourceFile.getDescendantsOfKind(kind);
  return nodes.map((node) => wrap(node));
}

/** ts-morph's wrapper factory for compiler nodes of a file, should a future version rename the method. */
function wrapperOf(sourceFile: SourceFile): ((node: ts.Node) => Node) | undefined {
  const wrap = (sourceFile as unknown as Wrapping)._getNodeFromCompilerNode;
  return typeof wrap === "function" ? (node) => wrap.call(sourceFile, node) : undefined;
}

/**
 * The file's compiler nodes of a kind in source order (ts-morph's walk order), or `undefined`
 * for the kinds left to ts-morph: token kinds other than TOKEN_NODE_KINDS and JSDoc.
 */
function compilerDescendants(sourceFile: SourceFile, kind: SyntaxKind): readonly ts.Node[] | undefined {
  // Token kinds (identifiers, string literals) ts-morph finds in the full child list, JSDoc
  // included: leave those to it.
  const parseTreeKind = kind >= SyntaxKind.FirstNode && kind < SyntaxKind.FirstJSDocNode;
  if (!parseTreeKind) return TOKEN_NODE_KINDS.has(kind) ? tokenNodesOf(sourceFile, kind) : undefined;
  let index = compilerIndex.get(sourceFile);
  if (!index) {
    index = new Map();
    // Pre-order like ts-morph's walk, with an explicit stack so deep code cannot exhaust the call stack.
    const stack: ts.Node[] = [];
    const pushChildren = (node: ts.Node) => {
      const children: ts.Node[] = [];
      ts.forEachChild(node, (child) => void children.push(child));
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    };
    pushChildren(sourceFile.compilerNode);
    while (stack.length > 0) {
      const node = stack.pop()!;
      let bucket = index.get(node.kind);
      if (!bucket) index.set(node.kind, (bucket = []));
      bucket.push(node);
      pushChildren(node);
    }
    compilerIndex.set(sourceFile, index);
  }
  return index.get(kind) ?? [];
}

/**
 * `descendantsOfKind`, keeping only the nodes whose compiler node passes `keep`: a cheap test on
 * compiler nodes spares wrapping the nodes a walk would throw away.
 */
export function descendantsOfKindWhere<K extends SyntaxKind>(scope: Node, kind: K, keep: (node: ts.Node) => boolean): import("ts-morph").KindToNodeMappings[K][] {
  const sourceFile = scope.getSourceFile();
  const wrap = wrapperOf(sourceFile);
  const nodes = wrap && compilerDescendants(sourceFile, kind);
  if (!wrap || !nodes) return descendantsOfKind(scope, kind).filter((n) => keep(n.compilerNode));
  const out: Node[] = [];
  for (const node of scope === sourceFile ? nodes : within(nodes, scope.compilerNode)) if (keep(node)) out.push(wrap(node));
  return out as import("ts-morph").KindToNodeMappings[K][];
}

/** The file's compiler nodes of a parse-tree kind, in source order, with the way to wrap one of them. */
export function compilerNodesOfKind(sourceFile: SourceFile, kind: SyntaxKind): { nodes: readonly ts.Node[]; wrap: (node: ts.Node) => Node } {
  const wrap = wrapperOf(sourceFile);
  const nodes = wrap && compilerDescendants(sourceFile, kind);
  if (wrap && nodes) return { nodes, wrap };
  const wrapped = descendantsOfKind(sourceFile, kind) as Node[];
  const byNode = new Map(wrapped.map((n) => [n.compilerNode as ts.Node, n]));
  return { nodes: wrapped.map((n) => n.compilerNode), wrap: (node) => byNode.get(node)! };
}

/**
 * Token kinds that only ever occur as nodes of the parse tree or of its JSDoc, never as the tokens
 * the TypeScript services synthesize between children (punctuation, keywords): ts-morph's full
 * child walk finds exactly these, so a walk of the tree and its JSDoc finds them too, at a
 * fraction of the cost (the full walk scans every token of the file).
 */
const TOKEN_NODE_KINDS: ReadonlySet<SyntaxKind> = new Set([SyntaxKind.Identifier, SyntaxKind.StringLiteral, SyntaxKind.NoSubstitutionTemplateLiteral]);
const tokenIndex = new WeakMap<Node, Map<SyntaxKind, ts.Node[]>>();

/** The compiler nodes of those kinds in a file, in the order of ts-morph's walk: each node's JSDoc before its children. */
function tokenNodesOf(sourceFile: SourceFile, kind: SyntaxKind): ts.Node[] {
  let index = tokenIndex.get(sourceFile);
  if (!index) {
    index = new Map([...TOKEN_NODE_KINDS].map((k) => [k, []]));
    const stack: ts.Node[] = [];
    const pushChildren = (node: ts.Node) => {
      const children: ts.Node[] = [];
      for (const doc of (node as ts.Node & { jsDoc?: ts.Node[] }).jsDoc ?? []) children.push(doc);
      ts.forEachChild(node, (child) => void children.push(child));
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    };
    pushChildren(sourceFile.compilerNode);
    while (stack.length > 0) {
      const node = stack.pop()!;
      index.get(node.kind)?.push(node);
      pushChildren(node);
    }
    tokenIndex.set(sourceFile, index);
  }
  return index.get(kind)!;
}

/**
 * Descendants of a kind, in source order. Walking the tree is the engine's main cost, so each
 * kind is collected once per file and scopes below the file filter that list by position.
 */
export function descendantsOfKind<K extends SyntaxKind>(scope: Node, kind: K): import("ts-morph").KindToNodeMappings[K][] {
  const sourceFile = scope.getSourceFile();
  if (scope !== sourceFile && kind >= SyntaxKind.FirstNode && kind < SyntaxKind.FirstJSDocNode) {
    // Filter the compiler nodes and wrap only those inside the scope: wrapping is what costs.
    const wrap = wrapperOf(sourceFile);
    const nodes = wrap && compilerDescendants(sourceFile, kind);
    if (wrap && nodes) return within(nodes, scope.compilerNode).map((node) => wrap(node)) as import("ts-morph").KindToNodeMappings[K][];
  }
  let byKind = descendantCache.get(sourceFile);
  if (!byKind) {
    byKind = new Map();
    descendantCache.set(sourceFile, byKind);
  }
  let all = byKind.get(kind);
  if (!all) {
    all = indexedDescendants(sourceFile, kind);
    byKind.set(kind, all);
  }
  if (scope === sourceFile) return all as import("ts-morph").KindToNodeMappings[K][];
  const start = scope.getPos();
  const end = scope.getEnd();
  return all.filter((n) => n.getPos() >= start && n.getEnd() <= end && n !== scope) as import("ts-morph").KindToNodeMappings[K][];
}

/** The nodes of a pre-order list that lie inside `scope` (by position), `scope` itself excepted. */
function within(nodes: readonly ts.Node[], scope: ts.Node): ts.Node[] {
  const { pos: start, end } = scope;
  const out: ts.Node[] = [];
  if (!isSortedByPos(nodes)) {
    for (const node of nodes) if (node.pos >= start && node.end <= end && node !== scope) out.push(node);
    return out;
  }
  // The first node at or after `start`; nodes starting after `end` cannot end inside it.
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid]!.pos < start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < nodes.length && nodes[i]!.pos <= end; i++) {
    const node = nodes[i]!;
    if (node.end <= end && node !== scope) out.push(node);
  }
  return out;
}

const sortedLists = new WeakMap<readonly ts.Node[], boolean>();

/** Pre-order lists of the parse tree are sorted by position; checked once per list rather than assumed. */
function isSortedByPos(nodes: readonly ts.Node[]): boolean {
  let sorted = sortedLists.get(nodes);
  if (sorted === undefined) {
    sorted = nodes.every((node, i) => i === 0 || nodes[i - 1]!.pos <= node.pos);
    sortedLists.set(nodes, sorted);
  }
  return sorted;
}
