import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf } from "./imports.js";
import { functionOf } from "./mcp.js";
import type { Sanitizer } from "./taint.js";
import { constantString, declarationOf, unwrap } from "./values.js";

/** Names of validation helpers that, by their name, check that a path stays inside a root. */
const CONTAINMENT_HELPER = /(?:within|inside|contained|allowed|permitted|sandbox|jail|sub_?path|isSub|inRoot|underRoot)|^(?:validate|resolve|ensure|check|assert|sanitize|safe|secure)\w*Path/i;
const URL_PARTS = new Set(["hostname", "host", "origin"]);

/** True when `node` is the use `text`, or a variable initialized from a call on it (`path.resolve(text)`, `new URL(text)`). */
function derivesFrom(node: Node, text: string, depth = 0): boolean {
  const n = unwrap(node);
  if (n.getText() === text) return true;
  if (depth > 3) return false;
  if (Node.isIdentifier(n)) {
    const decl = declarationOf(n);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    return init ? derivesFrom(init, text, depth + 1) : false;
  }
  if (Node.isAwaitExpression(n)) return derivesFrom(n.getExpression(), text, depth + 1);
  if (Node.isCallExpression(n) || Node.isNewExpression(n)) return (n.getArguments() ?? []).some((a) => derivesFrom(a, text, depth + 1));
  return false;
}

/** `path.relative(root, x)` where x is (or derives from) the use. */
function isRelativeOf(node: Node, text: string): boolean {
  let n = unwrap(node);
  if (Node.isIdentifier(n)) {
    const decl = declarationOf(n);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (!init) return false;
    n = unwrap(init);
  }
  if (!Node.isCallExpression(n)) return false;
  const ref = moduleRefOf(n.getExpression());
  const isRelative = (ref?.module === "path" && ref.name === "relative") || /\brelative$/.test(n.getExpression().getText());
  const target = n.getArguments()[1];
  return isRelative && !!target && derivesFrom(target, text);
}

function methodCall(node: Node, method: string): { receiver: Node; args: Node[] } | undefined {
  if (!Node.isCallExpression(node)) return undefined;
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== method) return undefined;
  return { receiver: callee.getExpression(), args: node.getArguments() };
}

function calleeName(call: CallExpression): string {
  const callee = call.getExpression();
  return Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
}

/**
 * Path containment done right: `path.relative(root, full)` checked for `..` (and for an
 * absolute result), `full.startsWith(root + path.sep)`, a containment helper named as one
 * (`isPathWithinAllowedDirectories(full, ...)`, `validatePath(p)`), or `path.basename(p)`.
 * A prefix check without a separator counts as a guard here; the path-traversal rule reports
 * that check itself, where the fix belongs.
 */
export const PATH_CONTAINMENT: Sanitizer = {
  allows(cond, text) {
    return containmentHolds(cond, text, 0);
  },
  rejects(cond, text) {
    const starts = methodCall(cond, "startsWith");
    if (starts && isRelativeOf(starts.receiver, text) && /^\.\./.test(constantString(starts.args[0] ?? starts.receiver) ?? starts.args[0]?.getText() ?? "")) return true;
    if (Node.isBinaryExpression(cond) && cond.getOperatorToken().getKind() === SyntaxKind.EqualsEqualsEqualsToken && isRelativeOf(cond.getLeft(), text) && constantString(cond.getRight()) === "..") return true;
    if (Node.isCallExpression(cond) && /isAbsolute$/.test(cond.getExpression().getText()) && cond.getArguments()[0] && isRelativeOf(cond.getArguments()[0]!, text)) return true;
    return false;
  },
  cleans(call) {
    const ref = moduleRefOf(call.getExpression());
    if (ref?.module === "path" && ref.name === "basename") return true;
    // A helper of this file is followed like any other code: its name alone proves nothing.
    if (functionOf(call.getExpression())) return false;
    return CONTAINMENT_HELPER.test(calleeName(call)) && !/^(?:resolve|join|normalize)$/.test(calleeName(call));
  },
};

/**
 * The condition holds only when the path `text` is inside a root: a prefix check on it, a
 * containment helper, or a variable or `.some(...)`/`.every(...)` callback holding such a check
 * (`const isAllowed = dirs.some((dir) => full.startsWith(dir))`).
 */
function containmentHolds(cond: Node, text: string, depth: number): boolean {
  if (depth > 3) return false;
  if (Node.isIdentifier(cond)) {
    const decl = declarationOf(cond);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    return !!init && containmentHolds(unwrap(init), text, depth + 1);
  }
  const callback = methodCall(cond, "some") ?? methodCall(cond, "every");
  if (callback?.args[0]) {
    const fn = unwrap(callback.args[0]);
    const body = Node.isArrowFunction(fn) ? fn.getBody() : undefined;
    if (body && !Node.isBlock(body)) return containmentHolds(unwrap(body), text, depth + 1);
  }
  const starts = methodCall(cond, "startsWith");
  if (starts && derivesFrom(starts.receiver, text)) return true;
  if (Node.isCallExpression(cond) && CONTAINMENT_HELPER.test(calleeName(cond)) && cond.getArguments().some((a) => derivesFrom(a, text))) return true;
  return false;
}

/** A URL host allowlist: `ALLOWED.has(new URL(u).hostname)`, `url.hostname === "api.example.com"`, `u.startsWith("https://api.example.com/")`. */
export const URL_HOST_ALLOWLIST: Sanitizer = {
  allows(cond, text) {
    const hostOf = (node: Node) => {
      const n = unwrap(node);
      return Node.isPropertyAccessExpression(n) && URL_PARTS.has(n.getName()) && derivesFrom(n.getExpression(), text);
    };
    if (Node.isCallExpression(cond)) {
      const callee = cond.getExpression();
      const method = Node.isPropertyAccessExpression(callee) ? callee.getName() : "";
      const args = cond.getArguments();
      if ((method === "has" || method === "includes") && args[0] && hostOf(args[0])) return true;
      if ((method === "endsWith" || method === "startsWith") && Node.isPropertyAccessExpression(callee) && hostOf(callee.getExpression())) return /^\./.test(constantString(args[0] ?? callee) ?? "") || method === "startsWith";
      if (method === "startsWith" && Node.isPropertyAccessExpression(callee) && derivesFrom(callee.getExpression(), text)) {
        const prefix = args[0] ? constantString(args[0]) : undefined;
        return prefix !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i.test(prefix);
      }
      if (/(?:allowed|trusted|permitted)\w*(?:host|url|domain|origin)/i.test(calleeName(cond)) && args.some((a) => derivesFrom(a, text))) return true;
    }
    if (Node.isBinaryExpression(cond) && cond.getOperatorToken().getKind() === SyntaxKind.EqualsEqualsEqualsToken) {
      return (hostOf(cond.getLeft()) && constantString(cond.getRight()) !== undefined) || (hostOf(cond.getRight()) && constantString(cond.getLeft()) !== undefined);
    }
    return false;
  },
  rejects(cond, text) {
    if (Node.isBinaryExpression(cond) && cond.getOperatorToken().getKind() === SyntaxKind.ExclamationEqualsEqualsToken) {
      const hostOf = (node: Node) => Node.isPropertyAccessExpression(unwrap(node)) && URL_PARTS.has((unwrap(node) as import("ts-morph").PropertyAccessExpression).getName()) && derivesFrom((unwrap(node) as import("ts-morph").PropertyAccessExpression).getExpression(), text);
      return (hostOf(cond.getLeft()) && constantString(cond.getRight()) !== undefined) || (hostOf(cond.getRight()) && constantString(cond.getLeft()) !== undefined);
    }
    // if (isPrivateIp(parsed.hostname)) throw ...: a denylist of internal addresses.
    if (Node.isCallExpression(cond) && PRIVATE_ADDRESS_CHECK.test(calleeName(cond)) && cond.getArguments().some((a) => derivesFromUrl(a, text))) return true;
    if (Node.isBinaryExpression(cond) && cond.getOperatorToken().getKind() === SyntaxKind.BarBarToken) return !!URL_HOST_ALLOWLIST.rejects?.(unwrap(cond.getLeft()), text) || !!URL_HOST_ALLOWLIST.rejects?.(unwrap(cond.getRight()), text);
    return false;
  },
  asserts(call, text) {
    if (!ASSERTS_URL.test(calleeName(call)) || !call.getArguments().some((a) => derivesFromUrl(a, text))) return false;
    const fn = functionOf(call.getExpression());
    return !fn || !isOptIn(fn);
  },
};

/** Helpers that say, by their name, that they find an internal address: `isPrivateIp`, `isLocalhost`, `is_ip_private`. */
const PRIVATE_ADDRESS_CHECK = /private|internal|loopback|localhost|reserved|link_?local|blocked|forbidden|disallowed|denied/i;
/** Helpers that say, by their name, that they throw unless a URL may be fetched: `assertUrlAllowed`, `validatePublicUrl`. */
const ASSERTS_URL = /^(?:assert|ensure|validate|verify|check|guard|enforce|require)\w*(?:url|uri|host|address|ip|ssrf|allowed|safe|public|destination|target)\w*$/i;

/** The use, a URL made from it, or its host. */
function derivesFromUrl(node: Node, text: string): boolean {
  const n = unwrap(node);
  if (Node.isPropertyAccessExpression(n) && URL_PARTS.has(n.getName())) return derivesFrom(n.getExpression(), text);
  return derivesFrom(n, text);
}

/**
 * A check that returns early unless a setting turns it on (`if (!config.harden) return;`): settings
 * are unset by default, so by default the check does nothing.
 */
function isOptIn(fn: import("./mcp.js").FunctionLike): boolean {
  const body = fn.getBody();
  if (!body || !Node.isBlock(body)) return false;
  for (const statement of body.getStatements()) {
    if (Node.isThrowStatement(statement)) return false;
    if (!Node.isIfStatement(statement)) continue;
    const then = statement.getThenStatement();
    const returns = Node.isReturnStatement(then) || (Node.isBlock(then) && then.getStatements().length === 1 && Node.isReturnStatement(then.getStatements()[0]!));
    if (returns && startsNegated(unwrap(statement.getExpression()))) return true;
    if (statement.getText().includes("throw")) return false;
  }
  return false;
}

function startsNegated(cond: Node): boolean {
  if (Node.isPrefixUnaryExpression(cond) && cond.getOperatorToken() === SyntaxKind.ExclamationToken) return !Node.isCallExpression(unwrap(cond.getOperand()));
  if (Node.isBinaryExpression(cond) && cond.getOperatorToken().getKind() === SyntaxKind.BarBarToken) return startsNegated(unwrap(cond.getLeft()));
  return false;
}

/** A value that cannot start with `-`: rejected when it does, or written after a constant prefix. */
export const NOT_AN_OPTION: Sanitizer = {
  safePrefix: (prefix) => !prefix.startsWith("-"),
  allows(cond, text) {
    // if (/^[a-zA-Z0-9][\w.-]*$/.test(id)): a pattern whose first character cannot be `-`
    const test = methodCall(cond, "test");
    return !!test && !!test.args[0] && derivesFrom(test.args[0], text) && firstCharacterExcludesDash(test.receiver);
  },
  rejects(cond, text) {
    const starts = methodCall(cond, "startsWith");
    if (starts && derivesFrom(starts.receiver, text) && constantString(starts.args[0] ?? starts.receiver) === "-") return true;
    if (Node.isBinaryExpression(cond) && /^===?$/.test(cond.getOperatorToken().getText())) {
      const left = unwrap(cond.getLeft());
      const indexed = (Node.isElementAccessExpression(left) && left.getArgumentExpression()?.getText() === "0") || (Node.isCallExpression(left) && /\.charAt\(0\)$|\.at\(0\)$/.test(left.getText()));
      if (indexed && constantString(cond.getRight()) === "-" && left.getText().startsWith(text)) return true;
    }
    const test = methodCall(cond, "test");
    if (test && test.args[0] && derivesFrom(test.args[0], text) && /^\/\^-/.test(test.receiver.getText())) return true;
    return false;
  },
};

/** Shell quoting that makes a value one literal word: `shell-quote`'s `quote`, `shescape`, an `escapeShellArg`-style helper. */
export const SHELL_QUOTING: Sanitizer = {
  cleans(call) {
    const ref = moduleRefOf(call.getExpression());
    if (ref && (ref.module === "shell-quote" || ref.module === "shescape" || ref.module === "shell-escape") ) return true;
    return /^(?:quote|shellQuote|shellEscape|escapeShellArg|escapeShellArgument|shEscape|quoteShellArg)$/i.test(calleeName(call));
  },
};

/** A regex literal anchored at the start whose first character (required, not optional) can never be `-`. */
function firstCharacterExcludesDash(expr: Node): boolean {
  let node = unwrap(expr);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (init) node = unwrap(init);
  }
  if (!Node.isRegularExpressionLiteral(node)) return false;
  const text = node.getText();
  const body = text.slice(1, text.lastIndexOf("/"));
  if (!body.startsWith("^")) return false;
  let rest = body.slice(1);
  let atom: string;
  if (rest.startsWith("[")) {
    let end = 1;
    while (end < rest.length && rest[end] !== "]") end += rest[end] === "\\" ? 2 : 1;
    if (end >= rest.length) return false;
    atom = rest.slice(0, end + 1);
    rest = rest.slice(end + 1);
    if (!classExcludesDash(atom.slice(1, -1))) return false;
  } else if (/^\\[wd]/.test(rest)) {
    rest = rest.slice(2);
  } else if (/^[A-Za-z0-9_/.]/.test(rest)) {
    rest = rest.slice(1);
  } else {
    return false;
  }
  // The atom must be there: not followed by ?, * or {0,...}.
  return !/^(?:\?|\*|\{0\b)/.test(rest);
}

function classExcludesDash(inner: string): boolean {
  if (inner.startsWith("^")) return false;
  const chars: string[] = [];
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === "\\") {
      const e = inner[i + 1] ?? "";
      if (e === "-" || e === "s" || e === "S" || e === "W" || e === "D") return false;
      chars.push(e === "w" || e === "d" ? "a" : e);
      i++;
      continue;
    }
    if (inner[i] === "-") {
      // a literal dash at either end, or a range that spans it
      if (chars.length === 0 || i === inner.length - 1) return false;
      const from = chars[chars.length - 1]!;
      const to = inner[i + 1] === "\\" ? inner[i + 2] ?? "" : inner[i + 1]!;
      if (from <= "-" && "-" <= to) return false;
      chars.push(to);
      i += inner[i + 1] === "\\" ? 2 : 1;
      continue;
    }
    chars.push(inner[i]!);
  }
  return chars.length > 0;
}
