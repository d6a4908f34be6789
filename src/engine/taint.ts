import { Node, SyntaxKind, type CallExpression, type Identifier, type SourceFile } from "ts-morph";
import { moduleRefOf } from "./imports.js";
import { constrainedKeys, createMcpFile, isStrictRegex, type FunctionLike, type InputShape, type McpFile, type ToolHandler } from "./mcp.js";
import { Resolver, returnExpressions } from "./resolve.js";
import { bindingPath, constantString, declarationOf, isAssignmentOperator, unwrap, descendantsOfKind } from "./values.js";
import type { Workspace } from "./workspace.js";

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
  /** Literal text the (string) value always starts with: `kubectl port-forward ${x}`. */
  prefix?: string;
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
  /** A call, as a statement of its own, that throws unless the value is safe (`assertUrlAllowed(url)`): it guards what follows. */
  asserts?(call: CallExpression, text: string): boolean;
  /**
   * An expression whose value is safe whatever input it holds, e.g. a URL whose scheme and host
   * are fixed text. Text appended to such a variable (`url += "?ref=" + x`) keeps it safe.
   */
  safeValue?(expr: Node): boolean;
  /** A string that always starts with this literal text is safe (`https://api.example.com/`, `--ref=`). */
  safePrefix?(prefix: string): boolean;
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
/**
 * How input reached an expression that a query found tainted: the handler it entered, and the
 * calls that carried it from there into the function holding the expression, outermost first.
 */
export interface Flow {
  handler: ToolHandler;
  calls: readonly CallExpression[];
  sink: Node;
}

/**
 * Parameter bindings of one analysis context: a handler, or a helper called from one. A helper's
 * context keeps the call site that bound it and the context of that call (`site`, `outer`): the
 * chain from the handler to the code under analysis.
 */
class Env {
  readonly memo = new Map<Node, Taint | null>();
  constructor(
    readonly handler: ToolHandler,
    readonly params: ReadonlyMap<Node, Taint | undefined>,
    readonly sanitizer: Sanitizer | undefined,
    readonly depth: number,
    readonly site?: CallExpression,
    readonly outer?: Env,
  ) {}

  /** The same bindings with nothing evaluated yet: what one query evaluates must not leak into the next. */
  fresh(): Env {
    return new Env(this.handler, this.params, this.sanitizer, this.depth, this.site, this.outer);
  }
}

/** Contexts of called functions, by resolver (one per analysis), sanitizer, function and depth. */
const boundContexts = new WeakMap<Resolver, Map<Sanitizer | undefined, Map<FunctionLike, Map<number, Env[]>>>>();
/** By resolver, the smallest depth from which a function has no context at all. */
const unreachedFrom = new WeakMap<Resolver, Map<FunctionLike, number>>();

const STRING_METHODS = new Set([
  "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase",
  "slice", "substring", "substr", "replace", "replaceAll", "split", "join", "concat", "padStart", "padEnd",
  "at", "charAt", "toString", "normalize", "repeat", "valueOf", "map", "filter", "flat", "flatMap", "reverse",
  "sort", "toSorted", "find", "pop", "shift", "values", "trimLeft", "trimRight", "get", "getAll", "toJSON",
  "toFixed", "entries", "keys", "href",
]);
/** Methods whose arguments also flow into the result. */
const ARGUMENT_METHODS = new Set(["concat", "replace", "replaceAll", "padStart", "padEnd"]);
/** Methods that put their arguments into the array they are called on. */
const ARRAY_MUTATORS = new Set(["push", "unshift", "splice"]);
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
/** How many calls away from a handler a sink may be: handler → tool logic → service → helper → sink. */
const MAX_CALL_DEPTH = 5;
/** Functions one call may invoke that are followed (a registry lookup can name many handlers). */
const MAX_CALLEES = 4;

/**
 * Taint tracking from MCP tool input (and resource, prompt and HTTP request input). Each query
 * finds the contexts the expression runs in — the handler around it, or a function called (up to
 * MAX_CALL_DEPTH levels) from a handler, in this file or in another file of the analysis — binds
 * parameters, and evaluates the expression backwards through declarations, assignments and
 * expressions. Which function a call invokes, and which calls invoke a function, the Resolver
 * answers (imports, barrels, aliases, methods, registries). A file the analysis does not have
 * simply ends the trail.
 */
export class FileTaint implements TaintQueries {
  private readonly active = new Set<Node>();
  private readonly resolver: Resolver;
  /** The first flow found for each expression a query found tainted, in query order. */
  private readonly flows = new Map<Node, Flow>();

  constructor(
    private readonly sourceFile: SourceFile,
    private readonly mcp: McpFile,
    private readonly workspace?: Workspace,
  ) {
    this.resolver = workspace?.resolver() ?? new Resolver(() => [sourceFile], (f) => (f === sourceFile ? mcp : createMcpFile(f)));
  }

  isTainted(expr: Node, sanitizer?: Sanitizer): boolean {
    return this.sourcesOf(expr, sanitizer).length > 0;
  }

  sourcesOf(expr: Node, sanitizer?: Sanitizer): ToolHandler[] {
    const sf = expr.getSourceFile();
    if (!this.resolver.handlersIn(sf) && !this.workspace?.hasImporters(sf)) return [];
    const out: ToolHandler[] = [];
    for (const env of this.contextsFor(expr, 0, sanitizer)) {
      const t = this.eval(expr, env);
      if (!isFull(t) || (t.prefix && sanitizer?.safePrefix?.(t.prefix))) continue;
      if (!out.includes(env.handler)) out.push(env.handler);
      if (!this.flows.has(expr)) this.flows.set(expr, { handler: env.handler, calls: callsOf(env), sink: expr });
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
    return this.resolver.handlersIn(node.getSourceFile())?.get(node);
  }

  /**
   * The contexts `node` runs in: the handlers around it, or, for code in a function no handler
   * encloses, each call of that function (from a context of its own) with its parameters bound.
   */
  private contextsFor(node: Node, depth: number, sanitizer: Sanitizer | undefined): Env[] {
    for (let cur: Node | undefined = node; cur; cur = cur.getParent()) {
      const handlers = this.handlersAt(cur);
      if (handlers) return handlers.map((h) => handlerEnv(h, sanitizer));
    }
    if (depth >= MAX_CALL_DEPTH) return [];
    for (let cur: Node | undefined = node.getParent(); cur; cur = cur.getParent()) {
      if (!isFunctionLike(cur)) continue;
      const sites = this.resolver.callersOf(cur);
      // A callback handed to code the analysis does not have (`items.map(...)`, `new Promise(...)`)
      // runs where it is written: its closure sees the enclosing function's bindings.
      if (sites.length === 0 && isInlineCallback(cur)) continue;
      return this.callContexts(cur, sites, depth, sanitizer).map((env) => env.fresh());
    }
    return [];
  }

  /**
   * The contexts of a function called from `sites`, bound once per analysis: the bindings depend
   * only on the function, the depth and the sanitizer (each query starts with nothing under
   * evaluation), and every sink in the function asks for them again.
   */
  private callContexts(fn: FunctionLike, sites: readonly CallExpression[], depth: number, sanitizer: Sanitizer | undefined): readonly Env[] {
    let bySanitizer = boundContexts.get(this.resolver);
    if (!bySanitizer) boundContexts.set(this.resolver, (bySanitizer = new Map()));
    let byFunction = bySanitizer.get(sanitizer);
    if (!byFunction) bySanitizer.set(sanitizer, (byFunction = new Map()));
    let byDepth = byFunction.get(fn);
    if (!byDepth) byFunction.set(fn, (byDepth = new Map()));
    let envs = byDepth.get(depth);
    if (envs) return envs;
    // Whether any chain of calls reaches a handler does not depend on the sanitizer, and a
    // function no chain reaches from some depth is reached by none from deeper down either.
    let unreached = unreachedFrom.get(this.resolver);
    if (!unreached) unreachedFrom.set(this.resolver, (unreached = new Map()));
    if ((unreached.get(fn) ?? Infinity) <= depth) return [];
    envs = [];
    for (const site of sites) {
      if (site.getFirstAncestor(isFunctionLike) === fn) continue; // recursion
      for (const outer of this.contextsFor(site, depth + 1, sanitizer)) envs.push(this.bindCall(fn, site, outer));
    }
    byDepth.set(depth, envs);
    if (envs.length === 0) unreached.set(fn, Math.min(depth, unreached.get(fn) ?? Infinity));
    return envs;
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
    return new Env(outer.handler, params, outer.sanitizer, outer.depth + 1, call, outer);
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
      if (!node.getTemplateSpans().some((s) => isFull(this.eval(s.getExpression(), env)))) return undefined;
      // The literal start: the head, and constant leading spans (`${BASE_URL}/items/${id}`).
      let prefix = node.getHead().getLiteralText();
      for (const span of node.getTemplateSpans()) {
        const value = constantString(span.getExpression());
        if (value === undefined) break;
        prefix += value + span.getLiteral().getLiteralText();
      }
      return prefix ? { path: [], prefix } : FULL;
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
      case SyntaxKind.PlusEqualsToken: {
        const left = this.eval(node.getLeft(), env);
        if (!isFull(left) && !isFull(this.eval(node.getRight(), env))) return undefined;
        const prefix = left ? left.prefix : constantString(node.getLeft());
        return prefix ? { path: [], prefix } : FULL;
      }
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
    // A function of this file or of another file of the analysis: its result is tainted when a
    // return value is, given these arguments.
    if (env.depth >= MAX_CALL_DEPTH + 3) return undefined;
    for (const fn of this.resolver.functionsOf(callee).slice(0, MAX_CALLEES)) {
      if (this.active.has(fn)) continue;
      this.active.add(fn);
      try {
        const inner = this.bindCall(fn, call, env);
        if (returnExpressions(fn).some((r) => isFull(this.eval(r, inner)))) return FULL;
      } finally {
        this.active.delete(fn);
      }
    }
    return undefined;
  }

  private evalIdentifier(id: Identifier, env: Env): Taint | undefined {
    if (id.getText() === "undefined" || isGuardedBy(id, env.sanitizer)) return undefined;
    const decl = declarationOf(id);
    return decl ? this.evalDeclaration(decl, env, id) : undefined;
  }

  private evalDeclaration(decl: Node, env: Env, use?: Node): Taint | undefined {
    if (Node.isParameterDeclaration(decl)) {
      if (env.params.has(decl)) return env.params.get(decl);
      return this.evalCallbackParameter(decl, env);
    }
    if (Node.isBindingElement(decl)) {
      // The destructuring pattern's root, and the keys read on the way down to this name.
      const { root: cur, keys } = bindingPath(decl);
      let taint: Taint | undefined;
      if (Node.isVariableDeclaration(cur) && keys[0] === "[]" && this.isProgramWord(decl, cur, env)) return undefined;
      if (Node.isParameterDeclaration(cur)) taint = this.evalDeclaration(cur, env);
      else if (Node.isVariableDeclaration(cur)) taint = this.evalVariable(cur, env);
      for (const key of keys) taint = key === "[]" ? (isFull(taint) ? FULL : undefined) : step(taint, key);
      return taint;
    }
    if (Node.isVariableDeclaration(decl)) return this.evalVariable(decl, env, use);
    return undefined;
  }

  private evalVariable(decl: import("ts-morph").VariableDeclaration, env: Env, use?: Node): Taint | undefined {
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
    // args.push(input.branch): an array is as tainted as what is pushed into it.
    for (const call of this.mutatorCalls(scope)) {
      const callee = call.getExpression() as import("ts-morph").PropertyAccessExpression;
      const receiver = unwrap(callee.getExpression());
      if (!Node.isIdentifier(receiver) || receiver.getText() !== name || declarationOf(receiver) !== decl) continue;
      if (call.getArguments().some((a) => isFull(this.eval(a, env)))) return FULL;
    }
    const assignments = descendantsOfKind(scope, SyntaxKind.BinaryExpression).filter((assignment) => {
      const left = assignment.getLeft();
      return isAssignmentOperator(assignment.getOperatorToken().getKind()) && Node.isIdentifier(left) && left.getText() === name && declarationOf(left) === decl;
    });
    for (const assignment of use ? flaggedAssignments(use, assignments, scope) : assignments) {
      if (appendsAreSafe && assignment.getOperatorToken().getKind() === SyntaxKind.PlusEqualsToken) continue;
      const t = this.eval(assignment.getRight(), env);
      if (isFull(t)) {
        // `let command = "kubectl get"; command += ...`: appends keep the literal start.
        const start = init && assignment.getOperatorToken().getKind() === SyntaxKind.PlusEqualsToken ? constantString(init) : undefined;
        return start ? { path: [], prefix: start } : FULL;
      }
      taint ??= t;
    }
    return taint;
  }

  /**
   * `const [program, ...args] = command.split(" ")` where the command starts with a literal word
   * (`kubectl port-forward ${x}`): the first element is that word whatever the input.
   */
  private isProgramWord(element: Node, decl: import("ts-morph").VariableDeclaration, env: Env): boolean {
    const pattern = decl.getNameNode();
    if (!Node.isArrayBindingPattern(pattern) || pattern.getElements()[0] !== element) return false;
    const init = decl.getInitializer();
    const split = init ? unwrap(init) : undefined;
    if (!split || !Node.isCallExpression(split)) return false;
    const callee = split.getExpression();
    const sep = split.getArguments()[0];
    if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "split" || !sep || !Node.isStringLiteral(sep) || sep.getLiteralValue() === "") return false;
    const prefix = this.eval(callee.getExpression(), env)?.prefix;
    return prefix !== undefined && prefix.indexOf(sep.getLiteralValue()) > 0;
  }

  private readonly mutators = new Map<Node, CallExpression[]>();

  /** `x.push(...)`, `x.unshift(...)`, `x.splice(...)` calls in a scope. */
  private mutatorCalls(scope: Node): CallExpression[] {
    let calls = this.mutators.get(scope);
    if (!calls) {
      calls = descendantsOfKind(scope, SyntaxKind.CallExpression).filter((call) => {
        const callee = call.getExpression();
        return Node.isPropertyAccessExpression(callee) && ARRAY_MUTATORS.has(callee.getName());
      });
      this.mutators.set(scope, calls);
    }
    return calls;
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

/** The calls from the handler to a context's function, outermost first. */
function callsOf(env: Env): CallExpression[] {
  const calls: CallExpression[] = [];
  for (let e: Env | undefined = env; e?.site; e = e.outer) calls.unshift(e.site);
  return calls;
}

function handlerEnv(handler: ToolHandler, sanitizer: Sanitizer | undefined): Env {
  const params = new Map<Node, Taint | undefined>();
  handler.fn.getParameters().forEach((param, i) => params.set(param, inputTaint(handler.inputs[i])));
  return new Env(handler, params, sanitizer, 0);
}

function inputTaint(shape: InputShape | undefined): Taint | undefined {
  return shape ? { path: shape.path, safeKeys: shape.safeKeys, fields: shape.fields } : undefined;
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

/**
 * `if (isTemporary) unlink(inputPath)` where `isTemporary = true` is set only in the branch that
 * assigns `inputPath` a temporary file: under a boolean flag, only the assignments made beside
 * the flag's `= true` count. Any other use sees every assignment.
 */
function flaggedAssignments(use: Node, assignments: import("ts-morph").BinaryExpression[], scope: Node): import("ts-morph").BinaryExpression[] {
  if (assignments.length < 2) return assignments;
  let flag: Node | undefined;
  for (let cur = use.getParent(), child: Node = use; cur && cur !== scope; child = cur, cur = cur.getParent()) {
    if (Node.isIfStatement(cur) && cur.getThenStatement() === child && Node.isIdentifier(unwrap(cur.getExpression()))) {
      flag = unwrap(cur.getExpression());
      break;
    }
  }
  const flagDecl = flag ? declarationOf(flag as Identifier) : undefined;
  if (!flagDecl || !Node.isVariableDeclaration(flagDecl) || flagDecl.getInitializer()?.getKind() !== SyntaxKind.FalseKeyword) return assignments;
  const sets = descendantsOfKind(scope, SyntaxKind.BinaryExpression).filter((b) => {
    const left = b.getLeft();
    return b.getOperatorToken().getKind() === SyntaxKind.EqualsToken && Node.isIdentifier(left) && declarationOf(left) === flagDecl;
  });
  if (sets.length === 0 || !sets.every((b) => b.getRight().getKind() === SyntaxKind.TrueKeyword)) return assignments;
  const blocks = new Set(sets.map((b) => b.getFirstAncestorByKind(SyntaxKind.Block)));
  const beside = assignments.filter((a) => blocks.has(a.getFirstAncestorByKind(SyntaxKind.Block)));
  return beside.length > 0 ? beside : assignments;
}

/** An arrow or function expression written as an argument of a call. */
function isInlineCallback(fn: FunctionLike): boolean {
  const parent = fn.getParent();
  return (Node.isArrowFunction(fn) || Node.isFunctionExpression(fn)) && !!parent && (Node.isCallExpression(parent) || Node.isNewExpression(parent)) && parent.getExpression() !== fn;
}

export function isFunctionLike(node: Node): node is FunctionLike {
  return Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node) || Node.isMethodDeclaration(node);
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
  // Asked again for every context and query that evaluates `use`; the answer is syntax alone.
  let bySanitizer = guarded.get(use);
  if (!bySanitizer) guarded.set(use, (bySanitizer = new Map()));
  let answer = bySanitizer.get(sanitizer);
  if (answer === undefined) bySanitizer.set(sanitizer, (answer = guardedUncached(use, sanitizer)));
  return answer;
}

const guarded = new WeakMap<Node, Map<Sanitizer | undefined, boolean>>();

function guardedUncached(use: Node, sanitizer: Sanitizer | undefined): boolean {
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
        if (sanitizer?.asserts && Node.isExpressionStatement(s)) {
          const e = unwrap(s.getExpression());
          const call = Node.isAwaitExpression(e) ? unwrap(e.getExpression()) : e;
          if (Node.isCallExpression(call) && sanitizer.asserts(call, text)) return true;
        }
      }
    }
    // A check before `items.map((item) => use(dir))` still guards `dir` inside the callback.
    if (isFunctionLike(cur) && !(isInlineCallback(cur) && declaredOutside(use, cur))) return false;
  }
  return false;
}

/** The variable a use reads (`dir` in `dir.path`) is declared outside `fn`: the closure captured it. */
function declaredOutside(use: Node, fn: FunctionLike): boolean {
  let root = unwrap(use);
  while (Node.isPropertyAccessExpression(root) || Node.isElementAccessExpression(root) || Node.isCallExpression(root)) root = unwrap(root.getExpression());
  if (!Node.isIdentifier(root)) return false;
  const decl = declarationOf(root);
  return !!decl && !(decl.getPos() >= fn.getPos() && decl.getEnd() <= fn.getEnd());
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

