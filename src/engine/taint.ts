import { Node, SyntaxKind, type CallExpression, type Identifier, type SourceFile } from "ts-morph";
import { moduleRefOf } from "./imports.js";
import { functionOf, isStrictRegex, type FunctionLike, type McpFile, type ToolHandler } from "./mcp.js";
import { declarationOf, isAssignmentOperator, unwrap, descendantsOfKind } from "./values.js";

/**
 * How tool input sits in a value. `path: []` means the value is attacker-controlled; a
 * non-empty path means the input is reached by reading those properties (a CallTool request
 * object holds it at `params.arguments`). `safeKeys` are properties whose schema constrains them.
 */
export interface Taint {
  path: readonly string[];
  safeKeys?: ReadonlySet<string>;
}

const FULL: Taint = { path: [] };

/** Taint questions a rule may ask about expressions of one file. */
export interface TaintQueries {
  /** True when tool input reaches the value of `expr` (not merely an object that holds it). */
  isTainted(expr: Node): boolean;
  /** The tool handlers whose input reaches `expr`. */
  sourcesOf(expr: Node): ToolHandler[];
}

/** Parameter bindings of one analysis context: a handler, or a helper called from one. */
class Env {
  readonly memo = new Map<Node, Taint | null>();
  constructor(
    readonly handler: ToolHandler,
    readonly params: ReadonlyMap<Node, Taint | undefined>,
  ) {}
}

const STRING_METHODS = new Set([
  "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase",
  "slice", "substring", "substr", "replace", "replaceAll", "split", "join", "concat", "padStart", "padEnd",
  "at", "charAt", "toString", "normalize", "repeat", "valueOf", "map", "filter", "flat", "flatMap", "reverse",
  "sort", "toSorted", "find", "pop", "shift", "values", "trimLeft", "trimRight",
]);
/** Methods whose arguments also flow into the result. */
const ARGUMENT_METHODS = new Set(["concat", "replace", "replaceAll", "padStart", "padEnd"]);
const ITERATION_METHODS = new Set(["map", "forEach", "filter", "flatMap", "some", "every", "find", "findIndex"]);
const PROPAGATING_FUNCTIONS = new Set(["String", "decodeURIComponent", "decodeURI", "escape", "unescape"]);
const PROPAGATING_MODULE_FUNCTIONS: Record<string, ReadonlySet<string>> = {
  path: new Set(["join", "resolve", "normalize", "relative", "basename", "dirname", "format"]),
  util: new Set(["format"]),
};
const CLEANSING_FUNCTIONS = new Set(["Number", "parseInt", "parseFloat", "Boolean", "isNaN", "isFinite"]);
const MAX_CALL_DEPTH = 3;

/**
 * Intra-file taint tracking from MCP tool input. Each query finds the contexts the expression
 * runs in — the tool handler around it, or a helper function called (up to three levels) from a
 * handler — binds parameters, and evaluates the expression backwards through declarations,
 * assignments and expressions. Growth point: `contextsFor` and `evalCall` are where
 * cross-file helpers will plug in.
 */
export class FileTaint implements TaintQueries {
  private readonly handlerByFn = new Map<Node, ToolHandler>();
  private readonly active = new Set<Node>();
  private callSites?: Map<string, CallExpression[]>;

  constructor(
    private readonly sourceFile: SourceFile,
    mcp: McpFile,
  ) {
    for (const handler of mcp.handlers) this.handlerByFn.set(handler.fn, handler);
  }

  isTainted(expr: Node): boolean {
    return this.sourcesOf(expr).length > 0;
  }

  sourcesOf(expr: Node): ToolHandler[] {
    if (this.handlerByFn.size === 0) return [];
    const out: ToolHandler[] = [];
    for (const env of this.contextsFor(expr, 0)) {
      const t = this.eval(expr, env);
      if (t && t.path.length === 0 && !out.includes(env.handler)) out.push(env.handler);
    }
    return out;
  }

  private contextsFor(node: Node, depth: number): Env[] {
    for (let cur: Node | undefined = node; cur; cur = cur.getParent()) {
      const handler = this.handlerByFn.get(cur);
      if (handler) {
        const param = handler.fn.getParameters()[0];
        const input: Taint = { path: handler.input.path, safeKeys: handler.input.safeKeys };
        return [new Env(handler, new Map(param ? [[param, input]] : []))];
      }
    }
    if (depth >= MAX_CALL_DEPTH) return [];
    // Not inside a handler: is it inside a helper that a handler calls?
    for (let cur: Node | undefined = node.getParent(); cur; cur = cur.getParent()) {
      if (!isFunctionLike(cur)) continue;
      const name = functionName(cur);
      if (!name) continue;
      const envs: Env[] = [];
      for (const site of this.callSitesOf(name)) {
        if (calleeFunction(site) !== cur) continue;
        for (const outer of this.contextsFor(site, depth + 1)) envs.push(this.bindCall(cur, site, outer));
      }
      return envs;
    }
    return [];
  }

  private callSitesOf(name: string): CallExpression[] {
    if (!this.callSites) {
      this.callSites = new Map();
      for (const call of descendantsOfKind(this.sourceFile, SyntaxKind.CallExpression)) {
        const callee = call.getExpression();
        const key = Node.isIdentifier(callee) ? callee.getText() : Node.isPropertyAccessExpression(callee) ? callee.getName() : undefined;
        if (key === undefined) continue;
        const list = this.callSites.get(key) ?? [];
        list.push(call);
        this.callSites.set(key, list);
      }
    }
    return this.callSites.get(name) ?? [];
  }

  private bindCall(fn: FunctionLike, call: CallExpression, outer: Env): Env {
    const params = new Map<Node, Taint | undefined>();
    const args = call.getArguments();
    fn.getParameters().forEach((param, i) => {
      if (param.isRestParameter()) {
        const rest = args.slice(i).map((a) => this.eval(a, outer));
        params.set(param, rest.some((t) => t && t.path.length === 0) ? FULL : undefined);
      } else {
        params.set(param, args[i] ? this.eval(args[i]!, outer) : undefined);
      }
    });
    return new Env(outer.handler, params);
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
      if (isGuarded(node)) return undefined;
      const name = node.getName();
      if (name === "length") return undefined;
      return step(this.eval(node.getExpression(), env), name);
    }
    if (Node.isElementAccessExpression(node)) {
      if (isGuarded(node)) return undefined;
      const base = this.eval(node.getExpression(), env);
      const arg = node.getArgumentExpression();
      const key = arg && (Node.isStringLiteral(arg) || Node.isNumericLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ? String(arg.getLiteralValue()) : undefined;
      if (key !== undefined) return step(base, key);
      return isFull(base) && !base!.safeKeys?.size ? FULL : undefined;
    }
    if (Node.isCallExpression(node)) return this.evalCall(node, env);
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
      if ((receiverText === "Array" && method === "from") || (receiverText === "Object" && method === "values")) return anyArgTainted() ? FULL : undefined;
      const ref = moduleRefOf(callee);
      if (ref && PROPAGATING_MODULE_FUNCTIONS[ref.module]?.has(ref.name)) return anyArgTainted() ? FULL : undefined;
      if (STRING_METHODS.has(method)) {
        if (isFull(this.eval(callee.getExpression(), env))) return FULL;
        if (ARGUMENT_METHODS.has(method) && anyArgTainted()) return FULL;
      }
    }
    // A helper in this file: its result is tainted when a return value is, given these arguments.
    const fn = calleeFunction(call);
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
    if (id.getText() === "undefined" || isGuarded(id)) return undefined;
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
    for (const assignment of descendantsOfKind(scope, SyntaxKind.BinaryExpression)) {
      if (!isAssignmentOperator(assignment.getOperatorToken().getKind())) continue;
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

function isFull(t: Taint | undefined): t is Taint {
  return t !== undefined && t.path.length === 0;
}

function step(t: Taint | undefined, key: string): Taint | undefined {
  if (!t) return undefined;
  if (t.path.length > 0) return t.path[0] === key ? { path: t.path.slice(1), safeKeys: t.safeKeys } : undefined;
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
  const text = use.getText();
  let child: Node = use;
  for (let cur = use.getParent(); cur; child = cur, cur = cur.getParent()) {
    if (Node.isIfStatement(cur) && cur.getThenStatement() === child && allows(cur.getExpression(), text)) return true;
    if (Node.isIfStatement(cur) && cur.getElseStatement() === child && rejects(cur.getExpression(), text)) return true;
    if (Node.isConditionalExpression(cur) && cur.getWhenTrue() === child && allows(cur.getCondition(), text)) return true;
    if (Node.isCaseClause(cur) && cur.getParent()?.getParent() && Node.isSwitchStatement(cur.getParent()!.getParent()!)) {
      const sw = cur.getParent()!.getParent() as import("ts-morph").SwitchStatement;
      if (sw.getExpression().getText() === text && !Node.isDefaultClause(cur)) return true;
    }
    if (Node.isBlock(cur) || Node.isSourceFile(cur) || Node.isCaseClause(cur)) {
      const statements = cur.getStatements();
      const index = statements.indexOf(child as never);
      for (let i = 0; i < index; i++) {
        const s = statements[i]!;
        if (Node.isIfStatement(s) && !s.getElseStatement() && exits(s.getThenStatement()) && rejects(s.getExpression(), text)) return true;
      }
    }
    if (isFunctionLike(cur)) return false;
  }
  return false;
}

/** The condition holds only when `text` has an allowed value. */
function allows(cond: Node, text: string): boolean {
  const node = unwrap(cond);
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.ExclamationToken) return rejects(node.getOperand(), text);
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
    if (op === SyntaxKind.BarBarToken) return allows(left, text) && allows(right, text);
    if (op === SyntaxKind.AmpersandAmpersandToken) return allows(left, text) || allows(right, text);
  }
  return false;
}

/** The condition holds whenever `text` does not have an allowed value. */
function rejects(cond: Node, text: string): boolean {
  const node = unwrap(cond);
  if (Node.isPrefixUnaryExpression(node) && node.getOperatorToken() === SyntaxKind.ExclamationToken) return allows(node.getOperand(), text);
  if (Node.isBinaryExpression(node)) {
    const op = node.getOperatorToken().getKind();
    const left = node.getLeft();
    const right = node.getRight();
    if (op === SyntaxKind.ExclamationEqualsEqualsToken || op === SyntaxKind.ExclamationEqualsToken) {
      return (left.getText() === text && isLiteral(right)) || (right.getText() === text && isLiteral(left));
    }
    if (op === SyntaxKind.BarBarToken) return rejects(left, text) || rejects(right, text);
    if (op === SyntaxKind.AmpersandAmpersandToken) return rejects(left, text) && rejects(right, text);
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

