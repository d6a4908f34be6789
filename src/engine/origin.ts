import { Node, SyntaxKind, type SourceFile } from "ts-morph";
import type { FunctionLike } from "./mcp.js";
import { calledFunction } from "./cross-file.js";
import { isFunctionLike } from "./taint.js";
import { constantString, declarationOf, descendantsOfKind, unwrap } from "./values.js";
import type { Workspace } from "./workspace.js";

/**
 * What a server does with the Host and Origin headers of its requests. Validation compares a
 * header with something the server trusts: an allowlist, a constant, an anchored pattern, a
 * configured value. After DNS rebinding both headers name the attacker's domain, so comparing
 * one with the other (`origin.hostname === host.hostname`) validates nothing.
 */
export type RequestHeader = "host" | "origin";

export interface SelfComparison {
  /** The comparison of two request headers. */
  comparison: Node;
  /** Where to report it in the file asked about: the comparison, or the call that hands the headers to a helper. */
  at: Node;
  /** The helper the comparison is in, when it is not in the file asked about. */
  helper?: string;
}

export interface HeaderChecks {
  /** Headers compared with a trusted value somewhere in the file or the helpers it hands them to. */
  validated: Set<RequestHeader>;
  /** Comparisons of one request header with another. */
  selfComparisons: SelfComparison[];
  /** True when the file reads a Host or Origin header at all. */
  reads: boolean;
}

const HOST_HEADERS = new Set(["host", "x-forwarded-host", ":authority"]);
const MAX_DEPTH = 3;
/** Names of helpers that, by their name, validate what they are given (used only when their body is not in the analysis). */
const VALIDATOR_NAME = /valid|allow|trust|permit|verify|check|guard|protect|whitelist|safe/i;

/** The request header an expression reads directly: `req.headers.origin`, `req.headers["host"]`, `req.get("Origin")`, `c.req.header("host")`, `request.headers.get("origin")`. */
export function headerRead(node: Node): RequestHeader | undefined {
  const n = unwrap(node);
  const classify = (name: string | undefined): RequestHeader | undefined => {
    const key = name?.toLowerCase();
    return key === "origin" ? "origin" : key && HOST_HEADERS.has(key) ? "host" : undefined;
  };
  if (Node.isPropertyAccessExpression(n) && /(?:^|\.)headers$/.test(n.getExpression().getText())) return classify(n.getName());
  if (Node.isElementAccessExpression(n) && /(?:^|\.)headers$/.test(n.getExpression().getText())) {
    const key = n.getArgumentExpression();
    return classify(key ? constantString(key) : undefined);
  }
  if (Node.isCallExpression(n)) {
    const callee = n.getExpression();
    const arg = n.getArguments()[0];
    if (!Node.isPropertyAccessExpression(callee) || !arg || !/^(?:get|header|getHeader)$/.test(callee.getName())) return undefined;
    const receiver = callee.getExpression().getText();
    if (callee.getName() === "get" && !/(?:^|\.)(?:headers|req|request)$|^req$|^request$/.test(receiver)) return undefined;
    return classify(constantString(arg));
  }
  return undefined;
}

type Bindings = ReadonlyMap<Node, ReadonlySet<RequestHeader>>;
const NONE: ReadonlySet<RequestHeader> = new Set();

function union(...sets: ReadonlySet<RequestHeader>[]): ReadonlySet<RequestHeader> {
  const out = new Set<RequestHeader>();
  for (const s of sets) for (const h of s) out.add(h);
  return out;
}

/** Judges every Host/Origin check of a file, following the headers into helpers (also in imported modules). */
export function headerChecks(sourceFile: SourceFile, workspace: Workspace | undefined): HeaderChecks {
  const result: HeaderChecks = { validated: new Set(), selfComparisons: [], reads: false };
  const functions = new Set<Node>();
  for (const kind of [SyntaxKind.PropertyAccessExpression, SyntaxKind.ElementAccessExpression, SyntaxKind.CallExpression] as const) {
    for (const node of descendantsOfKind(sourceFile, kind)) {
      if (!headerRead(node)) continue;
      result.reads = true;
      functions.add(node.getFirstAncestor((a) => isFunctionLike(a)) ?? sourceFile);
    }
  }
  const checker = new Checker(workspace, result);
  for (const scope of functions) checker.scan(scope, new Map(), 0, undefined);
  return result;
}

/** The request headers (Host, Origin) a value derives from, within its function: `const origin = req.headers.origin`, `new URL(origin).host`. */
export function headersOfValue(expr: Node): ReadonlySet<RequestHeader> {
  return new Checker(undefined, { validated: new Set(), selfComparisons: [], reads: false }).headersOf(expr, new Map(), 0);
}

class Checker {
  private readonly seen = new Set<Node>();

  constructor(
    private readonly workspace: Workspace | undefined,
    private readonly result: HeaderChecks,
  ) {}

  /** Looks for comparisons of header values in a function (or file), `entry` being the call in the asked file that led here. */
  scan(scope: Node, bindings: Bindings, depth: number, entry: Node | undefined): void {
    const key = scope;
    if (this.seen.has(key) && bindings.size === 0) return;
    this.seen.add(key);
    const headers = (n: Node) => this.headersOf(n, bindings, 0);
    const own = (n: Node) => (n.getFirstAncestor((a) => isFunctionLike(a)) ?? n.getSourceFile()) === scope || scope === n.getSourceFile();
    for (const bin of descendantsOfKind(scope, SyntaxKind.BinaryExpression)) {
      if (!own(bin)) continue;
      const op = bin.getOperatorToken().getKind();
      if (op === SyntaxKind.InKeyword) {
        for (const h of headers(bin.getLeft())) this.result.validated.add(h);
        continue;
      }
      if (![SyntaxKind.EqualsEqualsEqualsToken, SyntaxKind.ExclamationEqualsEqualsToken, SyntaxKind.EqualsEqualsToken, SyntaxKind.ExclamationEqualsToken].includes(op)) continue;
      const left = headers(bin.getLeft());
      const right = headers(bin.getRight());
      if (left.size > 0 && right.size > 0) {
        this.result.selfComparisons.push({ comparison: bin, at: entry ?? bin, helper: entry ? helperName(scope) : undefined });
        continue;
      }
      const [side, other] = left.size > 0 ? [left, bin.getRight()] : [right, bin.getLeft()];
      if (side.size > 0 && isTrusted(other)) for (const h of side) this.result.validated.add(h);
    }
    for (const sw of descendantsOfKind(scope, SyntaxKind.SwitchStatement)) {
      if (!own(sw)) continue;
      for (const h of headers(sw.getExpression())) this.result.validated.add(h);
    }
    for (const call of descendantsOfKind(scope, SyntaxKind.CallExpression)) {
      if (!own(call)) continue;
      this.judgeCall(call, bindings, depth, entry);
    }
  }

  private judgeCall(call: import("ts-morph").CallExpression, bindings: Bindings, depth: number, entry: Node | undefined): void {
    const callee = call.getExpression();
    const args = call.getArguments();
    const argHeaders = args.map((a) => this.headersOf(a, bindings, 0));
    const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : undefined;
    if (method && Node.isPropertyAccessExpression(callee)) {
      const receiver = this.headersOf(callee.getExpression(), bindings, 0);
      // ALLOWED.includes(origin), allowedHosts.has(host), list.some(...)
      if (/^(?:includes|has|indexOf|some|find|findIndex|every)$/.test(method) && receiver.size === 0) {
        for (const set of argHeaders) for (const h of set) this.result.validated.add(h);
        if (/^(?:some|find|findIndex|every)$/.test(method) && args[0] && isFunctionLike(unwrap(args[0]))) this.scanCallback(unwrap(args[0]) as FunctionLike, callee.getExpression(), bindings, depth, entry);
        return;
      }
      // /^https?:\/\/localhost(:\d+)?$/.test(origin)
      if (/^(?:test|exec)$/.test(method) && argHeaders.some((s) => s.size > 0)) {
        if (isAnchoredPattern(callee.getExpression())) for (const set of argHeaders) for (const h of set) this.result.validated.add(h);
        return;
      }
      if (/^(?:match|startsWith|endsWith)$/.test(method) && receiver.size > 0 && args[0] && this.headersOf(args[0], bindings, 0).size === 0) {
        if (method !== "match" || isAnchoredPattern(args[0])) for (const h of receiver) this.result.validated.add(h);
        return;
      }
    }
    if (!argHeaders.some((s) => s.size > 0)) return;
    const fn = calledFunction(callee, this.workspace);
    if (fn && depth < MAX_DEPTH) {
      const inner = new Map<Node, ReadonlySet<RequestHeader>>();
      fn.getParameters().forEach((param, i) => {
        const set = argHeaders[i];
        if (set && set.size > 0) inner.set(param, set);
      });
      this.scan(fn, inner, depth + 1, entry ?? call);
      return;
    }
    if (!fn && VALIDATOR_NAME.test(callee.getText().split(".").pop() ?? "")) for (const set of argHeaders) for (const h of set) this.result.validated.add(h);
  }

  /** `allowed.some((a) => origin === a)`: the callback's element is trusted. */
  private scanCallback(fn: FunctionLike, _list: Node, bindings: Bindings, depth: number, entry: Node | undefined): void {
    this.scan(fn, bindings, depth, entry);
  }

  /** The request headers a value derives from: reads, variables, parameters bound by a caller, parsing (`new URL(origin).hostname`), string methods. */
  headersOf(expr: Node, bindings: Bindings, depth: number): ReadonlySet<RequestHeader> {
    if (depth > 8) return NONE;
    const node = unwrap(expr);
    const read = headerRead(node);
    if (read) return new Set([read]);
    if (Node.isAwaitExpression(node)) return this.headersOf(node.getExpression(), bindings, depth + 1);
    if (Node.isIdentifier(node)) {
      const decl = declarationOf(node);
      if (!decl) return NONE;
      if (Node.isParameterDeclaration(decl)) return bindings.get(decl) ?? NONE;
      if (Node.isBindingElement(decl)) {
        const owner = decl.getParent().getParent();
        const init = Node.isVariableDeclaration(owner) ? owner.getInitializer() : undefined;
        if (init && /(?:^|\.)headers$/.test(unwrap(init).getText())) {
          const key = (decl.getPropertyNameNode()?.getText() ?? decl.getName()).replace(/^["']|["']$/g, "").toLowerCase();
          return key === "origin" ? new Set(["origin"]) : HOST_HEADERS.has(key) ? new Set(["host"]) : NONE;
        }
        return NONE;
      }
      if (Node.isVariableDeclaration(decl)) {
        const values: Node[] = [];
        const init = decl.getInitializer();
        if (init) values.push(init);
        const scope = decl.getFirstAncestor((a) => isFunctionLike(a)) ?? decl.getSourceFile();
        for (const assignment of descendantsOfKind(scope, SyntaxKind.BinaryExpression)) {
          if (assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
          const left = assignment.getLeft();
          if (Node.isIdentifier(left) && left.getText() === node.getText() && declarationOf(left) === decl) values.push(assignment.getRight());
        }
        return union(...values.map((v) => this.headersOf(v, bindings, depth + 1)));
      }
      return NONE;
    }
    if (Node.isPropertyAccessExpression(node) || Node.isElementAccessExpression(node)) return this.headersOf(node.getExpression(), bindings, depth + 1);
    if (Node.isCallExpression(node)) {
      const callee = node.getExpression();
      if (Node.isPropertyAccessExpression(callee)) return this.headersOf(callee.getExpression(), bindings, depth + 1);
      if (Node.isIdentifier(callee) && callee.getText() === "String" && node.getArguments()[0]) return this.headersOf(node.getArguments()[0]!, bindings, depth + 1);
      return NONE;
    }
    if (Node.isNewExpression(node) && /(?:^|\.)URL$/.test(node.getExpression().getText())) return union(...(node.getArguments() ?? []).slice(0, 1).map((a) => this.headersOf(a, bindings, depth + 1)));
    if (Node.isTemplateExpression(node)) return union(...node.getTemplateSpans().map((s) => this.headersOf(s.getExpression(), bindings, depth + 1)));
    if (Node.isBinaryExpression(node) && /^(?:\+|\?\?|\|\|)$/.test(node.getOperatorToken().getText())) return union(this.headersOf(node.getLeft(), bindings, depth + 1), this.headersOf(node.getRight(), bindings, depth + 1));
    if (Node.isConditionalExpression(node)) return union(this.headersOf(node.getWhenTrue(), bindings, depth + 1), this.headersOf(node.getWhenFalse(), bindings, depth + 1));
    return NONE;
  }
}

function helperName(scope: Node): string | undefined {
  if (Node.isFunctionDeclaration(scope) || Node.isMethodDeclaration(scope)) return scope.getName();
  const parent = scope.getParent();
  return parent && Node.isVariableDeclaration(parent) ? parent.getName() : undefined;
}

/** A value the server trusts, for a comparison: anything but nothing (`undefined`, `null`, `""`) and type tests. */
function isTrusted(node: Node): boolean {
  const n = unwrap(node);
  if (n.getKind() === SyntaxKind.NullKeyword || Node.isTypeOfExpression(n)) return false;
  if (Node.isIdentifier(n) && n.getText() === "undefined") return false;
  const literal = constantString(n);
  if (literal !== undefined) return literal.trim() !== "" && !/^(?:string|undefined|object)$/.test(literal);
  return true;
}

/** A regular expression anchored at the start (`/^https?:\/\/localhost(:\d+)?$/`): it pins a value down rather than looking for characters in it. */
function isAnchoredPattern(node: Node): boolean {
  let n = unwrap(node);
  if (Node.isIdentifier(n)) {
    const decl = declarationOf(n);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (init) n = unwrap(init);
  }
  if (Node.isRegularExpressionLiteral(n)) return /^\/\^/.test(n.getText());
  if (Node.isNewExpression(n) && /RegExp$/.test(n.getExpression().getText())) return /^\^/.test(constantString(n.getArguments()?.[0] ?? n) ?? "");
  return true;
}
