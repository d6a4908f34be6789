import { Node, SyntaxKind, type CallExpression, type Identifier, type SourceFile } from "ts-morph";
import { moduleRefOf } from "./imports.js";
import { constrainedKeys, functionOf, isStrictRegex, type FunctionLike, type InputShape, type McpFile, type ToolHandler } from "./mcp.js";
import { declarationOf, isAssignmentOperator, unwrap, descendantsOfKind } from "./values.js";
import { exportedFunction, exportNamesOf, type Workspace } from "./workspace.js";

/**
 * How tool input sits in a value. `path: []` means the value is attacker-controlled; a
 * non-empty path means the input is reached by reading those properties (a CallTool request
 * object holds it at `params.arguments`). `safeKeys` are properties whose schema constrains them.
 */
export interface Taint {
  path: readonly string[];
  safeKeys?: ReadonlySet<string>;
  /** Only these properties carry input (an HTTP request object). */
  fields?: ReadonlySet<string>;
}

/**
 * What makes a value safe for one kind of sink, on top of the checks that make it safe for all
 * (allowlists, constrained schemas, numeric conversion). `text` is the source text of the use.
 */
export interface Sanitizer {
  /** The condition holds only when the value is safe (it guards the branch it opens). */
  allows?(cond: Node, text: string): boolean;
  /** The condition holds whenever the value is unsafe (an early exit on it guards what follows). */
  rejects?(cond: Node, text: string): boolean;
  /** A call whose result is safe whatever its arguments (shell quoting, a containment helper). */
  cleans?(call: CallExpression): boolean;
  /**
   * An expression whose value is safe whatever input it holds, e.g. a URL whose scheme and host
   * are fixed text. Text appended to such a variable (`url += "?ref=" + x`) keeps it safe.
   */
  safeValue?(expr: Node): boolean;
}

const FULL: Taint = { path: [] };

/** Taint questions a rule may ask about expressions of one file. */
export interface TaintQueries {
  /** True when tool input reaches the value of `expr` (not merely an object that holds it). */
  isTainted(expr: Node, sanitizer?: Sanitizer): boolean;
  /** The handlers whose input reaches `expr`. */
  sourcesOf(expr: Node, sanitizer?: Sanitizer): ToolHandler[];
}

/**
 * How input reached an expression that a query found tainted: the handler it entered, and the
 * calls that carried it from there into the function holding the expression, outermost first.
 */
export interface Flow {
  handler: ToolHandler;
  calls: readonly CallExpression[];
  sink: Node;
}

/** Parameter bindings of one analysis context: a handler, or a helper called from one. */
class Env {
  readonly memo = new Map<Node, Taint | null>();
  constructor(
    readonly handler: ToolHandler,
    readonly params: ReadonlyMap<Node, Taint | undefined>,
    readonly sanitizer: Sanitizer | undefined,
    readonly depth: number,
    /** The calls from the handler to this context's function, outermost first. */
    readonly calls: readonly CallExpression[] = [],
  ) {}
}

const STRING_METHODS = new Set([
  "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase",
  "slice", "substring", "substr", "replace", "replaceAll", "split", "join", "concat", "padStart", "padEnd",
  "at", "charAt", "toString", "normalize", "repeat", "valueOf", "map", "filter", "flat", "flatMap", "reverse",
  "sort", "toSorted", "find", "pop", "shift", "values", "trimLeft", "trimRight", "get", "getAll", "toJSON",
  "toFixed", "entries", "keys", "href",
]);
/** Methods whose arguments also flow into the result. */
const ARGUMENT_METHODS = new Set(["concat", "replace", "replaceAll", "padStart", "padEnd"]);
const ITERATION_METHODS = new Set(["map", "forEach", "filter", "flatMap", "some", "every", "find", "findIndex"]);
const PROPAGATING_FUNCTIONS = new Set(["String", "decodeURIComponent", "decodeURI", "escape", "unescape"]);
const PROPAGATING_MODULE_FUNCTIONS: Record<string, ReadonlySet<string>> = {
  path: new Set(["join", "resolve", "normalize", "relative", "basename", "dirname", "format", "toNamespacedPath"]),
  util: new Set(["format"]),
  fs: new Set(["realpathSync", "realpath"]),
  "fs/promises": new Set(["realpath"]),
  url: new Set(["format", "resolve", "fileURLToPath", "pathToFileURL"]),
  querystring: new Set(["stringify", "escape", "unescape"]),
};
/** Constructors whose instance carries their argument: `new URL(input)`. */
const PROPAGATING_CONSTRUCTORS = new Set(["URL", "String", "URLSearchParams"]);
const SCHEMA_PARSE = new Set(["parse", "safeParse", "parseAsync", "safeParseAsync"]);
const CLEANSING_FUNCTIONS = new Set(["Number", "parseInt", "parseFloat", "Boolean", "isNaN", "isFinite"]);
const MAX_CALL_DEPTH = 3;

/**
 * Taint tracking from MCP tool input (and resource, prompt and HTTP request input). Each query
 * finds the contexts the expression runs in — the handler around it, or a function called (up to
 * three levels) from a handler, in this file or, through relative imports, in another file of the
 * analysis — binds parameters, and evaluates the expression backwards through declarations,
 * assignments and expressions. A file the analysis does not have simply ends the trail.
 */
export class FileTaint implements TaintQueries {
  private readonly handlerMaps = new Map<SourceFile, Map<Node, ToolHandler[]>>();
  private readonly active = new Set<Node>();
  private readonly callSites = new Map<SourceFile, Map<string, CallExpression[]>>();
  private readonly importedCalls = new Map<SourceFile, Map<FunctionLike, CallExpression[]>>();
  /** The first flow found for each expression a query found tainted, in query order. */
  private readonly flows = new Map<Node, Flow>();

  constructor(
    private readonly sourceFile: SourceFile,
    private readonly mcp: McpFile,
    private readonly workspace?: Workspace,
  ) {}

  isTainted(expr: Node, sanitizer?: Sanitizer): boolean {
    return this.sourcesOf(expr, sanitizer).length > 0;
  }

  sourcesOf(expr: Node, sanitizer?: Sanitizer): ToolHandler[] {
    if (this.mcp.handlers.length === 0 && !this.workspace?.hasImporters(expr.getSourceFile())) return [];
    const out: ToolHandler[] = [];
    for (const env of this.contextsFor(expr, 0, sanitizer)) {
      const t = this.eval(expr, env);
      if (!isFull(t)) continue;
      if (!out.includes(env.handler)) out.push(env.handler);
      if (!this.flows.has(expr)) this.flows.set(expr, { handler: env.handler, calls: env.calls, sink: expr });
    }
    return out;
  }

  /**
   * The flow of a tainted expression inside `node` (or of `node` itself) that a query found: how
   * the finding a rule reports on `node` is reached. The first found when several are.
   */
  flowWithin(node: Node): Flow | undefined {
    const file = node.getSourceFile();
    const [start, end] = [node.getStart(), node.getEnd()];
    for (const [expr, flow] of this.flows) {
      if (expr.getSourceFile() === file && expr.getStart() >= start && expr.getEnd() <= end) return flow;
    }
    return undefined;
  }

  private handlersAt(node: Node): ToolHandler[] | undefined {
    const sf = node.getSourceFile();
    let map = this.handlerMaps.get(sf);
    if (!map) {
      map = new Map();
      const mcp = sf === this.sourceFile ? this.mcp : this.workspace?.mcpOf(sf);
      for (const handler of mcp?.handlers ?? []) map.set(handler.fn, [...(map.get(handler.fn) ?? []), handler]);
      // Handlers defined here and registered by a module that imports this one.
      for (const importer of this.workspace?.importersOf(sf) ?? []) {
        for (const { ref, ...rest } of this.workspace!.mcpOf(importer).importedHandlers) {
          const fn = this.importedFunction(ref);
          if (fn && fn.getSourceFile() === sf) map.set(fn, [...(map.get(fn) ?? []), { ...rest, fn }]);
        }
      }
      this.handlerMaps.set(sf, map);
    }
    return map.size === 0 ? undefined : map.get(node);
  }

  private contextsFor(node: Node, depth: number, sanitizer: Sanitizer | undefined): Env[] {
    for (let cur: Node | undefined = node; cur; cur = cur.getParent()) {
      const handlers = this.handlersAt(cur);
      if (handlers) return handlers.map((h) => handlerEnv(h, sanitizer));
    }
    if (depth >= MAX_CALL_DEPTH) return [];
    // Not inside a handler: is it inside a function that a handler calls, here or in an importer?
    for (let cur: Node | undefined = node.getParent(); cur; cur = cur.getParent()) {
      if (!isFunctionLike(cur)) continue;
      const name = functionName(cur);
      if (!name) continue;
      const envs: Env[] = [];
      const names = [name, ...promisifiedAliases(cur.getSourceFile(), name)];
      const sites = names.flatMap((n) => this.callSitesOf(cur.getSourceFile(), n)).filter((site) => calleeFunction(site) === cur);
      if (this.workspace?.hasImporters(cur.getSourceFile())) sites.push(...this.callersElsewhere(cur));
      for (const site of sites) {
        for (const outer of this.contextsFor(site, depth + 1, sanitizer)) envs.push(this.bindCall(cur, site, outer));
      }
      return envs;
    }
    return [];
  }

  /** Calls of an exported function from the files that import its module by a relative path. */
  private callersElsewhere(fn: FunctionLike): CallExpression[] {
    const home = fn.getSourceFile();
    if (exportNamesOf(fn).length === 0) return [];
    const out: CallExpression[] = [];
    for (const importer of this.workspace!.importersOf(home)) out.push(...(this.importedCallsOf(importer).get(fn) ?? []));
    return out;
  }

  private importedCallsOf(file: SourceFile): Map<FunctionLike, CallExpression[]> {
    let map = this.importedCalls.get(file);
    if (!map) {
      map = new Map();
      for (const call of descendantsOfKind(file, SyntaxKind.CallExpression)) {
        const fn = this.importedFunction(call.getExpression());
        if (fn) map.set(fn, [...(map.get(fn) ?? []), call]);
      }
      this.importedCalls.set(file, map);
    }
    return map;
  }

  /** The function a callee names in another file of the analysis, through a relative import or require. */
  private importedFunction(callee: Node): FunctionLike | undefined {
    if (!this.workspace) return undefined;
    const node = unwrap(callee);
    const from = node.getSourceFile();
    if (Node.isIdentifier(node)) {
      const decl = declarationOf(node);
      if (!decl) return undefined;
      if (Node.isImportSpecifier(decl)) {
        const target = this.workspace.resolve(from, decl.getImportDeclaration().getModuleSpecifierValue());
        return target ? exportedFunction(target, decl.getName()) : undefined;
      }
      if (Node.isImportClause(decl)) {
        const owner = decl.getParent();
        const target = Node.isImportDeclaration(owner) ? this.workspace.resolve(from, owner.getModuleSpecifierValue()) : undefined;
        return target ? exportedFunction(target, "default") : undefined;
      }
      if (Node.isBindingElement(decl)) {
        const owner = decl.getParent().getParent();
        const spec = Node.isVariableDeclaration(owner) ? requiredSpecifier(owner.getInitializer()) : undefined;
        const target = spec ? this.workspace.resolve(from, spec) : undefined;
        return target ? exportedFunction(target, decl.getPropertyNameNode()?.getText() ?? decl.getName()) : undefined;
      }
      return undefined;
    }
    if (Node.isPropertyAccessExpression(node)) {
      const base = unwrap(node.getExpression());
      if (!Node.isIdentifier(base)) return undefined;
      const decl = declarationOf(base);
      let spec: string | undefined;
      if (decl && Node.isNamespaceImport(decl)) spec = decl.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)?.getModuleSpecifierValue();
      else if (decl && Node.isImportClause(decl)) spec = (decl.getParent() as import("ts-morph").ImportDeclaration).getModuleSpecifierValue();
      else if (decl && Node.isVariableDeclaration(decl)) spec = requiredSpecifier(decl.getInitializer());
      const target = spec ? this.workspace.resolve(from, spec) : undefined;
      return target ? exportedFunction(target, node.getName()) : undefined;
    }
    return undefined;
  }

  private callSitesOf(file: SourceFile, name: string): CallExpression[] {
    let index = this.callSites.get(file);
    if (!index) {
      index = new Map();
      for (const call of descendantsOfKind(file, SyntaxKind.CallExpression)) {
        const callee = call.getExpression();
        const key = Node.isIdentifier(callee) ? callee.getText() : Node.isPropertyAccessExpression(callee) ? callee.getName() : undefined;
        if (key === undefined) continue;
        const list = index.get(key) ?? [];
        list.push(call);
        index.set(key, list);
      }
      this.callSites.set(file, index);
    }
    return [...(index.get(name) ?? [])];
  }

  private bindCall(fn: FunctionLike, call: CallExpression, outer: Env): Env {
    const params = new Map<Node, Taint | undefined>();
    const args = call.getArguments();
    fn.getParameters().forEach((param, i) => {
      if (param.isRestParameter()) {
        const rest = args.slice(i).map((a) => this.eval(a, outer));
        params.set(param, rest.some(isFull) ? FULL : undefined);
      } else {
        params.set(param, args[i] ? this.eval(args[i]!, outer) : undefined);
      }
    });
    return new Env(outer.handler, params, outer.sanitizer, outer.depth + 1, [...outer.calls, call]);
  }

  /** The taint of an expression's value in a context; `undefined` when clean. */
  eval(expr: Node, env: Env): Taint | undefined {
    const cached = env.memo.get(expr);
    if (cached !== undefined) return cached ?? undefined;
    if (this.active.has(expr)) return undefined;
    this.active.add(expr);
    try {
      const result = this.evalUncached(expr, env);
      env.memo.set(expr, result ?? null);
      return result;
    } finally {
      this.active.delete(expr);
    }
  }

  private evalUncached(expr: Node, env: Env): Taint | undefined {
    const node = unwrap(expr);
    if (env.sanitizer?.safeValue?.(node)) return undefined;
    switch (node.getKind()) {
      case SyntaxKind.StringLiteral:
      case SyntaxKind.NoSubstitutionTemplateLiteral:
      case SyntaxKind.NumericLiteral:
      case SyntaxKind.BigIntLiteral:
      case SyntaxKind.RegularExpressionLiteral:
      case SyntaxKind.TrueKeyword:
      case SyntaxKind.FalseKeyword:
      case SyntaxKind.NullKeyword:
      case SyntaxKind.ArrowFunction:
      case SyntaxKind.FunctionExpression:
      case SyntaxKind.TypeOfExpression:
      case SyntaxKind.PrefixUnaryExpression:
      case SyntaxKind.PostfixUnaryExpression:
      case SyntaxKind.DeleteExpression:
      case SyntaxKind.VoidExpression:
        return undefined;
    }
    if (Node.isAwaitExpression(node) || Node.isSpreadElement(node)) return this.eval(node.getExpression(), env);
    if (Node.isTemplateExpression(node)) {
      return node.getTemplateSpans().some((s) => isFull(this.eval(s.getExpression(), env))) ? FULL : undefined;
    }
    if (Node.isBinaryExpression(node)) return this.evalBinary(node, env);
    if (Node.isConditionalExpression(node)) return this.eval(node.getWhenTrue(), env) ?? this.eval(node.getWhenFalse(), env);
    if (Node.isArrayLiteralExpression(node)) return node.getElements().some((e) => isFull(this.eval(e, env))) ? FULL : undefined;
    if (Node.isObjectLiteralExpression(node)) {
      for (const prop of node.getProperties()) {
        const value = Node.isPropertyAssignment(prop)
          ? prop.getInitializer()
          : Node.isShorthandPropertyAssignment(prop)
            ? prop.getNameNode()
            : Node.isSpreadAssignment(prop)
              ? prop.getExpression()
              : undefined;
        if (value && isFull(this.eval(value, env))) return FULL;
      }
      return undefined;
    }
    if (Node.isIdentifier(node)) return this.evalIdentifier(node, env);
    if (Node.isPropertyAccessExpression(node)) {
      if (isGuardedBy(node, env.sanitizer)) return undefined;
      const name = node.getName();
      if (name === "length") return undefined;
      return step(this.eval(node.getExpression(), env), name);
    }
    if (Node.isElementAccessExpression(node)) {
      if (isGuardedBy(node, env.sanitizer)) return undefined;
      const base = this.eval(node.getExpression(), env);
      const arg = node.getArgumentExpression();
      const key = arg && (Node.isStringLiteral(arg) || Node.isNumericLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ? String(arg.getLiteralValue()) : undefined;
      if (key !== undefined) return step(base, key);
      return isFull(base) && !base.safeKeys?.size ? FULL : undefined;
    }
    if (Node.isCallExpression(node)) return this.evalCall(node, env);
    if (Node.isNewExpression(node)) {
      const ctor = node.getExpression().getText().replace(/^(?:globalThis|url)\./, "");
      if (!PROPAGATING_CONSTRUCTORS.has(ctor)) return undefined;
      return (node.getArguments() ?? []).slice(0, 1).some((a) => isFull(this.eval(a, env))) ? FULL : undefined;
    }
    return undefined;
  }

  private evalBinary(node: import("ts-morph").BinaryExpression, env: Env): Taint | undefined {
    const op = node.getOperatorToken().getKind();
    switch (op) {
      case SyntaxKind.PlusToken:
      case SyntaxKind.PlusEqualsToken:
        return isFull(this.eval(node.getLeft(), env)) || isFull(this.eval(node.getRight(), env)) ? FULL : undefined;
      case SyntaxKind.QuestionQuestionToken:
      case SyntaxKind.BarBarToken:
        return this.eval(node.getLeft(), env) ?? this.eval(node.getRight(), env);
      case SyntaxKind.AmpersandAmpersandToken:
      case SyntaxKind.CommaToken:
      case SyntaxKind.EqualsToken:
      case SyntaxKind.QuestionQuestionEqualsToken:
      case SyntaxKind.BarBarEqualsToken:
        return this.eval(node.getRight(), env);
      default:
        return undefined;
    }
  }

  private evalCall(call: CallExpression, env: Env): Taint | undefined {
    if (env.sanitizer?.cleans?.(call)) return undefined;
    const callee = unwrap(call.getExpression());
    const args = call.getArguments();
    const anyArgTainted = () => args.some((a) => isFull(this.eval(a, env)));
    if (Node.isIdentifier(callee)) {
      const name = callee.getText();
      if (CLEANSING_FUNCTIONS.has(name)) return undefined;
      if (PROPAGATING_FUNCTIONS.has(name)) return anyArgTainted() ? FULL : undefined;
    }
    if (Node.isPropertyAccessExpression(callee)) {
      const method = callee.getName();
      const receiverText = callee.getExpression().getText();
      if (receiverText === "Math" || receiverText === "Number") return undefined;
      if (receiverText === "JSON" && method === "stringify") return anyArgTainted() ? FULL : undefined;
      if (receiverText === "JSON" && method === "parse") return anyArgTainted() ? FULL : undefined;
      if ((receiverText === "Array" && method === "from") || (receiverText === "Object" && method === "values") || (receiverText === "Buffer" && method === "from")) return anyArgTainted() ? FULL : undefined;
      const ref = moduleRefOf(callee);
      if (ref && PROPAGATING_MODULE_FUNCTIONS[ref.module]?.has(ref.name)) return anyArgTainted() ? FULL : undefined;
      // Schema.parse(args) / Schema.safeParse(args).data: validated input is still input, except
      // the keys whose schema cannot carry an attack.
      if (SCHEMA_PARSE.has(method) && receiverText !== "Date" && args[0] && isFull(this.eval(args[0], env))) {
        const safeKeys = new Set(constrainedKeys(callee.getExpression()));
        return { path: method.startsWith("safe") ? ["data"] : [], safeKeys };
      }
      if (STRING_METHODS.has(method)) {
        if (isFull(this.eval(callee.getExpression(), env))) return FULL;
        if (ARGUMENT_METHODS.has(method) && anyArgTainted()) return FULL;
      }
    }
    // A function of this file or of a relatively imported module: its result is tainted when a
    // return value is, given these arguments.
    const local = calleeFunction(call);
    const fn = local ?? (env.depth < MAX_CALL_DEPTH + 2 ? this.importedFunction(callee) : undefined);
    if (fn && !this.active.has(fn)) {
      this.active.add(fn);
      try {
        const inner = this.bindCall(fn, call, env);
        return returnExpressions(fn).some((r) => isFull(this.eval(r, inner))) ? FULL : undefined;
      } finally {
        this.active.delete(fn);
      }
    }
    return undefined;
  }

  private evalIdentifier(id: Identifier, env: Env): Taint | undefined {
    if (id.getText() === "undefined" || isGuardedBy(id, env.sanitizer)) return undefined;
    const decl = declarationOf(id);
    return decl ? this.evalDeclaration(decl, env) : undefined;
  }

  private evalDeclaration(decl: Node, env: Env): Taint | undefined {
    if (Node.isParameterDeclaration(decl)) {
      if (env.params.has(decl)) return env.params.get(decl);
      return this.evalCallbackParameter(decl, env);
    }
    if (Node.isBindingElement(decl)) {
      // Walk up the destructuring pattern to its root, collecting the keys read on the way.
      const keys: string[] = [];
      let cur: Node = decl;
      while (Node.isBindingElement(cur)) {
        const pattern = cur.getParentOrThrow();
        if (Node.isArrayBindingPattern(pattern)) keys.unshift("[]");
        else if (!cur.getDotDotDotToken()) keys.unshift(cur.getPropertyNameNode()?.getText().replace(/^["']|["']$/g, "") ?? cur.getName());
        cur = pattern.getParentOrThrow();
      }
      let taint: Taint | undefined;
      if (Node.isParameterDeclaration(cur)) taint = this.evalDeclaration(cur, env);
      else if (Node.isVariableDeclaration(cur)) taint = this.evalVariable(cur, env);
      for (const key of keys) taint = key === "[]" ? (isFull(taint) ? FULL : undefined) : step(taint, key);
      return taint;
    }
    if (Node.isVariableDeclaration(decl)) return this.evalVariable(decl, env);
    return undefined;
  }

  private evalVariable(decl: import("ts-morph").VariableDeclaration, env: Env): Taint | undefined {
    const init = decl.getInitializer();
    let taint = init ? this.eval(init, env) : undefined;
    const loop = decl.getParent()?.getParent();
    if (!taint && loop && (Node.isForOfStatement(loop) || Node.isForInStatement(loop))) {
      taint = isFull(this.eval(loop.getExpression(), env)) ? FULL : undefined;
    }
    if (isFull(taint) || !Node.isIdentifier(decl.getNameNode())) return taint;
    // Reassignments anywhere in the enclosing function.
    const scope = decl.getFirstAncestor((a) => isFunctionLike(a)) ?? decl.getSourceFile();
    const name = decl.getName();
    const appendsAreSafe = !!init && !!env.sanitizer?.safeValue?.(unwrap(init));
    for (const assignment of descendantsOfKind(scope, SyntaxKind.BinaryExpression)) {
      if (!isAssignmentOperator(assignment.getOperatorToken().getKind())) continue;
      if (appendsAreSafe && assignment.getOperatorToken().getKind() === SyntaxKind.PlusEqualsToken) continue;
      const left = assignment.getLeft();
      if (!Node.isIdentifier(left) || left.getText() !== name || declarationOf(left) !== decl) continue;
      const t = this.eval(assignment.getRight(), env);
      if (isFull(t)) return FULL;
      taint ??= t;
    }
    return taint;
  }

  /** `input.files.map((f) => ...)`: the callback's parameter is an element of a tainted array. */
  private evalCallbackParameter(param: import("ts-morph").ParameterDeclaration, env: Env): Taint | undefined {
    const fn = param.getParent();
    const call = fn?.getParent();
    if (!fn || !call || !Node.isCallExpression(call) || fn.getChildIndex() < 0) return undefined;
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || !ITERATION_METHODS.has(callee.getName())) return undefined;
    if (!(isFunctionLike(fn) && fn.getParameters()[0] === param)) return undefined;
    return isFull(this.eval(callee.getExpression(), env)) ? FULL : undefined;
  }
}

function handlerEnv(handler: ToolHandler, sanitizer: Sanitizer | undefined): Env {
  const params = new Map<Node, Taint | undefined>();
  handler.fn.getParameters().forEach((param, i) => params.set(param, inputTaint(handler.inputs[i])));
  return new Env(handler, params, sanitizer, 0);
}

function inputTaint(shape: InputShape | undefined): Taint | undefined {
  return shape ? { path: shape.path, safeKeys: shape.safeKeys, fields: shape.fields } : undefined;
}

/** Names bound to `promisify(name)` in a file: calling them calls `name`. */
function promisifiedAliases(file: SourceFile, name: string): string[] {
  const pattern = new RegExp(`(?:^|\\.)promisify\\(\\s*${name.replace(/[$]/g, "\\$")}\\s*\\)$`);
  return descendantsOfKind(file, SyntaxKind.VariableDeclaration)
    .filter((d) => pattern.test(d.getInitializer()?.getText() ?? ""))
    .map((d) => d.getName());
}

function requiredSpecifier(init: Node | undefined): string | undefined {
  const node = init ? unwrap(init) : undefined;
  if (!node || !Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  const arg = node.getArguments()[0];
  return Node.isIdentifier(callee) && callee.getText() === "require" && arg && Node.isStringLiteral(arg) ? arg.getLiteralValue() : undefined;
}

function isFull(t: Taint | undefined): t is Taint {
  return t !== undefined && t.path.length === 0 && !t.fields;
}

function step(t: Taint | undefined, key: string): Taint | undefined {
  if (!t) return undefined;
  if (t.path.length > 0) return t.path[0] === key ? { path: t.path.slice(1), safeKeys: t.safeKeys, fields: t.fields } : undefined;
  if (t.fields) return t.fields.has(key) ? FULL : undefined;
  if (t.safeKeys?.has(key)) return undefined;
  return FULL;
}

export function isFunctionLike(node: Node): node is FunctionLike {
  return Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node);
}

function functionName(fn: FunctionLike): string | undefined {
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  if (parent && Node.isVariableDeclaration(parent)) return parent.getName();
  if (parent && Node.isPropertyAssignment(parent)) return parent.getName();
  if (parent && Node.isBinaryExpression(parent) && Node.isPropertyAccessExpression(parent.getLeft())) return (parent.getLeft() as import("ts-morph").PropertyAccessExpression).getName();
  return undefined;
}

/** The function in this file that a call invokes: a named function, a const arrow, or `this.method`. */
function calleeFunction(call: CallExpression): FunctionLike | undefined {
  return functionOf(call.getExpression());
}

function returnExpressions(fn: FunctionLike): Node[] {
  const body = fn.getBody();
  if (!body) return [];
  if (!Node.isBlock(body)) return [body];
  const out: Node[] = [];
  for (const ret of descendantsOfKind(body, SyntaxKind.ReturnStatement)) {
    if (ret.getFirstAncestor(isFunctionLike) !== fn) continue;
    const e = ret.getExpression();
    if (e) out.push(e);
  }
  return out;
}

// ---- guards -------------------------------------------------------------------------------

/**
 * True when the value at `use` is only reached after an allowlist check on the same expression:
 * an earlier `if (!ALLOWED.has(x)) return|throw`, or `use` inside `if (ALLOWED.includes(x)) {...}`.
 */
export function isGuarded(use: Node): boolean {
  return isGuardedBy(use, undefined);
}

/** `isGuarded`, also accepting the checks a sink-specific sanitizer understands. */
export function isGuardedBy(use: Node, sanitizer: Sanitizer | undefined): boolean {
  const text = use.getText();
  const allowsUse = (cond: Node) => allows(cond, text, sanitizer);
  const rejectsUse = (cond: Node) => rejects(cond, text, sanitizer);
  let child: Node = use;
  for (let cur = use.getParent(); cur; child = cur, cur = cur.getParent()) {
    if (Node.isIfStatement(cur) && cur.getThenStatement() === child && allowsUse(cur.getExpression())) return true;
    if (Node.isIfStatement(cur) && cur.getElseStatement() === child && rejectsUse(cur.getExpression())) return true;
    if (Node.isConditionalExpression(cur) && cur.getWhenTrue() === child && allowsUse(cur.getCondition())) return true;
    if (Node.isConditionalExpression(cur) && cur.getWhenFalse() === child && rejectsUse(cur.getCondition())) return true;
    if (Node.isBinaryExpression(cur) && cur.getRight() === child && cur.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandToken && allowsUse(cur.getLeft())) return true;
    if (Node.isCaseClause(cur) && cur.getParent()?.getParent() && Node.isSwitchStatement(cur.getParent()!.getParent()!)) {
      const sw = cur.getParent()!.getParent() as import("ts-morph").SwitchStatement;
      if (sw.getExpression().getText() === text && !Node.isDefaultClause(cur)) return true;
    }
    if (Node.isBlock(cur) || Node.isSourceFile(cur) || Node.isCaseClause(cur)) {
      const statements = cur.getStatements();
      const index = statements.indexOf(child as never);
      for (let i = 0; i < index; i++) {
        const s = statements[i]!;
        if (Node.isIfStatement(s) && !s.getElseStatement() && exits(s.getThenStatement()) && rejectsUse(s.getExpression())) return true;
      }
    }
    if (isFunctionLike(cur)) return false;
  }
  return false;
}

/** The condition holds only when `text` has an allowed value. */
function allows(cond: Node, text: string, sanitizer: Sanitizer | undefined): boolean {
  const node = unwrap(cond);
  if (sanitizer?.allows?.(node, text)) return true;
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.ExclamationToken) return rejects(node.getOperand(), text, sanitizer);
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    const args = node.getArguments();
    if (!Node.isPropertyAccessExpression(callee)) return false;
    const method = callee.getName();
    if ((method === "has" || method === "includes") && args[0]?.getText() === text && callee.getExpression().getText() !== text) return true;
    if (method === "test" && args[0]?.getText() === text && isStrictRegex(callee.getExpression())) return true;
    if (method === "hasOwn" && args[1]?.getText() === text) return true;
    return false;
  }
  if (Node.isBinaryExpression(node)) {
    const op = node.getOperatorToken().getKind();
    const left = node.getLeft();
    const right = node.getRight();
    if (op === SyntaxKind.EqualsEqualsEqualsToken || op === SyntaxKind.EqualsEqualsToken) {
      return (left.getText() === text && isLiteral(right)) || (right.getText() === text && isLiteral(left));
    }
    if (op === SyntaxKind.InKeyword) return left.getText() === text;
    if (op === SyntaxKind.BarBarToken) return allows(left, text, sanitizer) && allows(right, text, sanitizer);
    if (op === SyntaxKind.AmpersandAmpersandToken) return allows(left, text, sanitizer) || allows(right, text, sanitizer);
  }
  return false;
}

/** The condition holds whenever `text` does not have an allowed value. */
function rejects(cond: Node, text: string, sanitizer: Sanitizer | undefined): boolean {
  const node = unwrap(cond);
  if (sanitizer?.rejects?.(node, text)) return true;
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.ExclamationToken) return allows(node.getOperand(), text, sanitizer);
  if (Node.isBinaryExpression(node)) {
    const op = node.getOperatorToken().getKind();
    const left = node.getLeft();
    const right = node.getRight();
    if (op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken) {
      return (left.getText() === text && isLiteral(right)) || (right.getText() === text && isLiteral(left));
    }
    if (op === SyntaxKind.BarBarToken) return rejects(left, text, sanitizer) || rejects(right, text, sanitizer);
    if (op === SyntaxKind.AmpersandAmpersandToken) return rejects(left, text, sanitizer) && rejects(right, text, sanitizer);
  }
  return false;
}

function isLiteral(node: Node): boolean {
  const n = unwrap(node);
  return Node.isStringLiteral(n) || Node.isNumericLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n);
}

function exits(statement: Node): boolean {
  if (Node.isReturnStatement(statement) || Node.isThrowStatement(statement) || Node.isContinueStatement(statement) || Node.isBreakStatement(statement)) return true;
  if (Node.isBlock(statement)) {
    const last = statement.getStatements().at(-1);
    return last !== undefined && exits(last);
  }
  if (Node.isExpressionStatement(statement)) return /^process\.exit\(/.test(statement.getExpression().getText());
  return false;
}

