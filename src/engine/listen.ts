import { Node, SyntaxKind, type CallExpression, type SourceFile } from "ts-morph";
import { moduleRefOf } from "./imports.js";
import { isFunctionLike } from "./taint.js";
import { calledFunction, callsOf, importedValue, whereIs } from "./cross-file.js";
import { constantString, declarationOf, descendantsOfKind, propertyName, propertyValue, unwrap } from "./values.js";
import type { Workspace } from "./workspace.js";

/**
 * Where an HTTP server listens. A host is followed to the values it can take: literals,
 * `process.env.HOST ?? "0.0.0.0"` defaults, constants (also imported ones), helpers that return
 * it (`resolveBindHost()`), parameters bound at their call sites, and command-line option
 * defaults (commander, yargs, `util.parseArgs`). A host that is absent or `undefined` means
 * the framework's default, which for Node, Hono's node server, Bun and Deno is every interface.
 */

/** What one path of a host expression evaluates to. */
export interface HostOutcome {
  /** `unset`: no host reaches the server (Node then listens on every interface). `external`: set at run time, unknown here. */
  kind: "wildcard" | "loopback" | "specific" | "unset" | "external" | "unknown";
  /** The literal, for wildcard, loopback and specific hosts. */
  value?: string;
  /** Where the deciding value is written (the literal `"0.0.0.0"`, the `process.env.HOST` read). */
  at?: Node;
  /** Conditions under which this outcome holds, e.g. "`process.env.HOST` is unset". */
  when: string[];
  /** How the value travels to the listen call, from the call outwards, e.g. "`resolveBindHost(…)` (src/config.ts)". */
  via: string[];
}

/** A call that makes a server listen, with where its host is (or that it has none). */
export interface ListenSite {
  call: CallExpression;
  /** The host expression, when one is given. */
  host?: Node;
  /** What an absent host means for this server. */
  defaultHost: "all" | "loopback";
  /** How the framework is called: "Node", "Fastify", "Hono's node server", "Bun.serve", "Deno.serve". */
  framework: string;
}

export interface ListenVerdict {
  exposure: "all" | "loopback" | "specific" | "unknown";
  /** The outcome that decided an `all` verdict. */
  outcome?: HostOutcome;
}

const ALL_INTERFACES = new Set(["0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0", "[::]", "*"]);
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|::1|\[::1\])$/i;
const MAX_DEPTH = 8;
const MAX_CALLS = 12;

function isFunctionArg(node: Node | undefined): boolean {
  if (!node) return false;
  const n = unwrap(node);
  return Node.isArrowFunction(n) || Node.isFunctionExpression(n);
}

/** The network listen calls of a file: `.listen(...)` of Node-style servers and Fastify, Hono's `serve`, `Bun.serve`, `Deno.serve`. */
export function listenSites(sourceFile: SourceFile): ListenSite[] {
  const out: ListenSite[] = [];
  for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
    const callee = call.getExpression();
    const args = call.getArguments();
    const calleeText = callee.getText().replace(/\s+/g, "");
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "listen") {
      const fastify = isFastify(callee.getExpression());
      const framework = fastify ? "Fastify" : "Node";
      const defaultHost = fastify ? "loopback" : "all";
      const first = args[0];
      if (!first || isFunctionArg(first)) {
        out.push({ call, defaultHost, framework });
        continue;
      }
      const firstValue = unwrap(first);
      if (Node.isObjectLiteralExpression(firstValue)) {
        const names = firstValue.getProperties().map(propertyName);
        if (names.includes("path") || !(names.includes("port") || names.includes("host") || names.length === 0)) continue;
        out.push({ call, host: propertyValue(firstValue, "host"), defaultHost, framework });
        continue;
      }
      const literal = constantString(first);
      if (literal !== undefined && !/^\d+$/.test(literal)) continue; // a pipe or socket path, an event name
      const second = args[1];
      out.push({ call, host: second && !isFunctionArg(second) ? second : undefined, defaultHost, framework });
      continue;
    }
    const ref = moduleRefOf(callee);
    if (ref?.module === "@hono/node-server" && ref.name === "serve") {
      const options = args[0] ? unwrap(args[0]) : undefined;
      if (options && Node.isObjectLiteralExpression(options)) out.push({ call, host: propertyValue(options, "hostname"), defaultHost: "all", framework: "Hono's node server" });
      continue;
    }
    if (calleeText === "Bun.serve" || calleeText === "Deno.serve") {
      const options = args.map((a) => unwrap(a)).find((a) => Node.isObjectLiteralExpression(a));
      if (options && propertyValue(options, "unix")) continue;
      out.push({ call, host: options ? propertyValue(options, "hostname") : undefined, defaultHost: "all", framework: calleeText });
    }
  }
  return out;
}

/** A Fastify instance: `const app = Fastify()`, `fastify({ logger })`, `require("fastify")()`. Fastify listens on localhost by default. */
function isFastify(receiver: Node): boolean {
  let node = unwrap(receiver);
  if (Node.isIdentifier(node)) {
    const decl = declarationOf(node);
    const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
    if (!init) return false;
    node = unwrap(init);
  }
  if (Node.isAwaitExpression(node)) node = unwrap(node.getExpression());
  if (!Node.isCallExpression(node)) return false;
  const callee = unwrap(node.getExpression());
  const ref = moduleRefOf(callee);
  if (ref?.module === "fastify") return true;
  return Node.isCallExpression(callee) && /^require\(\s*["']fastify["']\s*\)$/.test(callee.getText());
}

/** Whether a listen call exposes the server on every interface, on loopback only, or cannot be told. */
export function judgeListen(site: ListenSite, workspace: Workspace | undefined): ListenVerdict {
  if (!site.host) {
    return site.defaultHost === "all"
      ? { exposure: "all", outcome: { kind: "unset", when: [], via: [] } }
      : { exposure: "loopback" };
  }
  const outcomes = new HostEvaluator(workspace, site.call.getSourceFile()).eval(site.host, new Map(), 0);
  const deciding = outcomes.find((o) => o.kind === "wildcard") ?? (site.defaultHost === "all" ? outcomes.find((o) => o.kind === "unset") : undefined);
  if (deciding) return { exposure: "all", outcome: deciding };
  const known = outcomes.filter((o) => o.kind !== "unset" || site.defaultHost === "all");
  if (outcomes.length > 0 && outcomes.every((o) => o.kind === "loopback" || (o.kind === "unset" && site.defaultHost === "loopback"))) return { exposure: "loopback" };
  if (known.some((o) => o.kind === "specific") && known.every((o) => o.kind === "specific" || o.kind === "loopback")) return { exposure: "specific" };
  return { exposure: "unknown" };
}

function classify(value: string, at: Node): HostOutcome {
  const host = value.trim();
  const kind = ALL_INTERFACES.has(host) ? "wildcard" : LOOPBACK.test(host) ? "loopback" : "specific";
  return { kind, value: host, at, when: [], via: [] };
}

const UNKNOWN: HostOutcome = { kind: "unknown", when: [], via: [] };

type Bindings = ReadonlyMap<Node, HostOutcome[]>;

function short(node: Node, max = 40): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The environment variable an expression reads: `process.env.HOST`, `process.env["HOST"]`, `Deno.env.get("HOST")`, `Bun.env.HOST`, `import.meta.env.HOST`. */
function envName(node: Node): string | undefined {
  if (Node.isPropertyAccessExpression(node) && /^(?:process\.env|Bun\.env|import\.meta\.env)$/.test(node.getExpression().getText().replace(/\s+/g, ""))) return node.getName();
  if (Node.isElementAccessExpression(node) && /^(?:process\.env|Bun\.env|import\.meta\.env)$/.test(node.getExpression().getText().replace(/\s+/g, ""))) {
    const key = node.getArgumentExpression();
    return key ? constantString(key) : undefined;
  }
  if (Node.isCallExpression(node) && /^Deno\.env\.get$/.test(node.getExpression().getText().replace(/\s+/g, "")) && node.getArguments()[0]) return constantString(node.getArguments()[0]!);
  return undefined;
}

const PASS_THROUGH = new Set(["trim", "toLowerCase", "toString", "trimStart", "trimEnd", "valueOf"]);

class HostEvaluator {
  private readonly active = new Set<Node>();

  constructor(
    private readonly workspace: Workspace | undefined,
    private readonly from: SourceFile,
  ) {}

  eval(expr: Node, bindings: Bindings, depth: number): HostOutcome[] {
    if (depth > MAX_DEPTH || this.active.has(expr)) return [UNKNOWN];
    this.active.add(expr);
    try {
      return this.evalUncached(unwrap(expr), bindings, depth);
    } finally {
      this.active.delete(expr);
    }
  }

  private evalUncached(node: Node, bindings: Bindings, depth: number): HostOutcome[] {
    if (Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node)) return [classify(node.getLiteralValue(), node)];
    if (node.getKind() === SyntaxKind.NullKeyword || (Node.isIdentifier(node) && node.getText() === "undefined") || Node.isVoidExpression(node)) {
      return [{ kind: "unset", at: node, when: [], via: [`\`${node.getText()}\``] }];
    }
    const env = envName(node);
    if (env !== undefined) return [{ kind: "unset", at: node, when: [`the \`${env}\` environment variable is unset`], via: [] }, { kind: "external", at: node, when: [], via: [] }];
    if (Node.isAwaitExpression(node)) return this.eval(node.getExpression(), bindings, depth + 1);
    if (Node.isBinaryExpression(node)) {
      const op = node.getOperatorToken().getKind();
      if (op === SyntaxKind.BarBarToken || op === SyntaxKind.QuestionQuestionToken) return this.fallback(node.getLeft(), node.getRight(), bindings, depth);
      const literal = constantString(node);
      return literal !== undefined ? [classify(literal, node)] : [UNKNOWN];
    }
    if (Node.isConditionalExpression(node)) return this.conditional(node, bindings, depth);
    if (Node.isTemplateExpression(node)) {
      const literal = constantString(node);
      if (literal !== undefined) return [classify(literal, node)];
      const spans = node.getTemplateSpans();
      if (node.getHead().getLiteralText() === "" && spans.length === 1 && spans[0]!.getLiteral().getLiteralText() === "") return this.eval(spans[0]!.getExpression(), bindings, depth + 1);
      return [UNKNOWN];
    }
    if (Node.isIdentifier(node)) return this.identifier(node, bindings, depth);
    if (Node.isPropertyAccessExpression(node)) return this.property(node.getExpression(), node.getName(), bindings, depth);
    if (Node.isElementAccessExpression(node)) {
      const key = node.getArgumentExpression();
      const name = key ? constantString(key) : undefined;
      return name !== undefined ? this.property(node.getExpression(), name, bindings, depth) : [UNKNOWN];
    }
    if (Node.isCallExpression(node)) return this.call(node, bindings, depth);
    return [UNKNOWN];
  }

  /** `left || right`, `left ?? right`: the right side holds when the left is unset. */
  private fallback(left: Node, right: Node, bindings: Bindings, depth: number): HostOutcome[] {
    const kept = this.eval(left, bindings, depth + 1).filter((o) => o.kind !== "unset");
    const env = envName(unwrap(left));
    const when = env !== undefined ? `the \`${env}\` environment variable is unset` : `\`${short(left)}\` is unset`;
    const rights = this.eval(right, bindings, depth + 1).map((o) => ({ ...o, when: [...o.when, when] }));
    return [...kept, ...rights];
  }

  /**
   * `x ? x : "0.0.0.0"` is a fallback. Otherwise a condition that picks between a wildcard and
   * something else is a deliberate switch (a container, a `--public` flag) that this cannot judge.
   */
  private conditional(node: import("ts-morph").ConditionalExpression, bindings: Bindings, depth: number): HostOutcome[] {
    const cond = unwrap(node.getCondition());
    const whenTrue = node.getWhenTrue();
    const whenFalse = node.getWhenFalse();
    if (cond.getText() === unwrap(whenTrue).getText()) return this.fallback(whenTrue, whenFalse, bindings, depth);
    if (Node.isPrefixUnaryExpression(cond) && cond.getOperatorToken() === SyntaxKind.ExclamationToken && unwrap(cond.getOperand()).getText() === unwrap(whenFalse).getText()) {
      return this.fallback(whenFalse, whenTrue, bindings, depth);
    }
    const all = [...this.eval(whenTrue, bindings, depth + 1), ...this.eval(whenFalse, bindings, depth + 1)];
    const exposing = (o: HostOutcome) => o.kind === "wildcard" || o.kind === "unset";
    if (all.some(exposing) && !all.every(exposing)) return [UNKNOWN];
    return all;
  }

  private identifier(node: import("ts-morph").Identifier, bindings: Bindings, depth: number): HostOutcome[] {
    const decl = declarationOf(node);
    if (!decl) return [UNKNOWN];
    if (Node.isImportSpecifier(decl) || Node.isImportClause(decl)) {
      const value = importedValue(node, this.workspace);
      return value ? this.step(this.eval(value, bindings, depth + 1), `\`${node.getText()}\` (${whereIs(value, this.from, this.workspace)})`) : [UNKNOWN];
    }
    if (Node.isParameterDeclaration(decl)) {
      const bound = bindings.get(decl);
      if (bound) return bound;
      return this.parameter(decl, depth);
    }
    if (Node.isBindingElement(decl)) return this.bindingElement(decl, bindings, depth);
    if (Node.isVariableDeclaration(decl)) {
      const init = decl.getInitializer();
      const values: Node[] = init ? [init] : [];
      if (decl.getVariableStatement()?.getDeclarationKind() !== "const") {
        const scope = decl.getFirstAncestor((a) => isFunctionLike(a)) ?? decl.getSourceFile();
        for (const assignment of descendantsOfKind(scope, SyntaxKind.BinaryExpression)) {
          if (assignment.getOperatorToken().getKind() !== SyntaxKind.EqualsToken) continue;
          const left = assignment.getLeft();
          if (Node.isIdentifier(left) && left.getText() === node.getText() && declarationOf(left) === decl) values.push(assignment.getRight());
        }
      }
      // Assigned some other way (destructuring, a callback): nothing to say.
      if (values.length === 0) return [UNKNOWN];
      const where = whereIs(decl, this.from, this.workspace);
      return this.step(values.flatMap((v) => this.eval(v, bindings, depth + 1)), `\`${decl.getName()}\` (${where})`);
    }
    return [UNKNOWN];
  }

  private step(outcomes: HostOutcome[], via: string): HostOutcome[] {
    return outcomes.map((o) => ({ ...o, via: [via, ...o.via] }));
  }

  /** A parameter: what its callers pass, or its default where they pass nothing. */
  private parameter(param: import("ts-morph").ParameterDeclaration, depth: number): HostOutcome[] {
    const fn = param.getParent();
    if (!isFunctionLike(fn)) return [UNKNOWN];
    const index = fn.getParameters().indexOf(param);
    const init = param.getInitializer();
    const absent = (): HostOutcome[] =>
      init
        ? this.eval(init, new Map(), depth + 1).map((o) => ({ ...o, when: [...o.when, `no \`${param.getName()}\` is passed`] }))
        : [{ kind: "unset", at: param, when: [], via: [`\`${param.getName()}\` is not passed`] }];
    const calls = callsOf(fn, this.workspace).slice(0, MAX_CALLS);
    if (calls.length === 0) return init ? absent() : [UNKNOWN];
    const out: HostOutcome[] = [];
    for (const call of calls) {
      const arg = call.getArguments()[index];
      if (call.getArguments().slice(0, index + 1).some((a) => Node.isSpreadElement(a))) {
        out.push(UNKNOWN);
        continue;
      }
      const outcomes = arg ? this.eval(arg, new Map(), depth + 1) : absent();
      out.push(...this.step(outcomes, `\`${short(call.getExpression())}(…)\` (${whereIs(call, this.from, this.workspace)})`));
    }
    return out;
  }

  /** `const { host = "0.0.0.0" } = options`: the property of the source, or the default when it is absent. */
  private bindingElement(decl: import("ts-morph").BindingElement, bindings: Bindings, depth: number): HostOutcome[] {
    const pattern = decl.getParent();
    const owner = pattern.getParent();
    if (!Node.isObjectBindingPattern(pattern)) return [UNKNOWN];
    const key = decl.getPropertyNameNode()?.getText().replace(/^["']|["']$/g, "") ?? decl.getName();
    let source: HostOutcome[];
    if (Node.isVariableDeclaration(owner) && owner.getInitializer()) source = this.property(owner.getInitializer()!, key, bindings, depth);
    else if (Node.isParameterDeclaration(owner) && looksLikeParsedArguments(owner)) source = this.cliOption(decl.getSourceFile(), key, depth) ?? [UNKNOWN];
    else if (Node.isParameterDeclaration(owner)) source = this.parameterProperty(owner, key, depth);
    else source = [UNKNOWN];
    const init = decl.getInitializer();
    if (!init) return source;
    const defaults = this.eval(init, bindings, depth + 1).map((o) => ({ ...o, when: [...o.when, `\`${key}\` is not set`] }));
    return [...source.filter((o) => o.kind !== "unset" && o.kind !== "unknown"), ...defaults];
  }

  /** `options.host` where `options` is a parameter: the property of what each caller passes (`start({ port, host: "0.0.0.0" })`). */
  private parameterProperty(param: import("ts-morph").ParameterDeclaration, key: string, depth: number): HostOutcome[] {
    const fn = param.getParent();
    if (!isFunctionLike(fn) || depth > MAX_DEPTH) return [UNKNOWN];
    const index = fn.getParameters().indexOf(param);
    const calls = callsOf(fn, this.workspace).slice(0, MAX_CALLS);
    if (calls.length === 0) return [UNKNOWN];
    const out: HostOutcome[] = [];
    for (const call of calls) {
      const args = call.getArguments();
      const arg = args[index];
      if (!arg || args.slice(0, index + 1).some((a) => Node.isSpreadElement(a))) {
        out.push(UNKNOWN);
        continue;
      }
      out.push(...this.step(this.property(arg, key, new Map(), depth + 1), `\`${short(call.getExpression())}(…)\` (${whereIs(call, this.from, this.workspace)})`));
    }
    return out;
  }

  /** `obj.key`: an object literal's property, a command-line option's default, or unknown. */
  private property(objectExpr: Node, key: string, bindings: Bindings, depth: number): HostOutcome[] {
    let obj = unwrap(objectExpr);
    if (Node.isIdentifier(obj)) {
      const decl = declarationOf(obj);
      const init = decl && Node.isVariableDeclaration(decl) && decl.getVariableStatement()?.getDeclarationKind() === "const" ? decl.getInitializer() : undefined;
      if (init && Node.isObjectLiteralExpression(unwrap(init))) obj = unwrap(init);
      else if (decl && Node.isParameterDeclaration(decl) && !bindings.has(decl) && !looksLikeParsedArguments(decl)) return this.parameterProperty(decl, key, depth);
    }
    if (Node.isObjectLiteralExpression(obj)) {
      const value = propertyValue(obj, key);
      if (value) return this.eval(value, bindings, depth + 1);
      if (obj.getProperties().some((p) => Node.isSpreadAssignment(p))) return [UNKNOWN];
      return [{ kind: "unset", at: obj, when: [], via: [`no \`${key}\` in the options`] }];
    }
    return (looksLikeParsedArguments(objectExpr) && this.cliOption(objectExpr.getSourceFile(), key, depth)) || [UNKNOWN];
  }

  /**
   * The default of a command-line option named `key` declared in the file: commander's
   * `.option("--host <host>", "…", "0.0.0.0")` and `new Option(...).default(...)`, yargs'
   * `.option("host", { default })` and `.default("host", …)`, and option maps
   * (`{ host: { type: "string", default: "0.0.0.0" } }` of `util.parseArgs`, yargs, meow).
   * An option declared without a default is unset when not given.
   */
  private cliOption(sourceFile: SourceFile, key: string, depth: number): HostOutcome[] | undefined {
    const flag = new RegExp(`(?:^|[\\s,|])--${kebab(key).replace(/[-]/g, "[-]")}(?=$|[\\s,=<\\[])`);
    const given = `the \`--${kebab(key)}\` option is not given`;
    const withDefault = (value: Node | undefined, at: Node): HostOutcome[] =>
      value ? this.eval(value, new Map(), depth + 1).map((o) => ({ ...o, when: [...o.when, given] })) : [{ kind: "unset", at, when: [given], via: [] }, { kind: "external", at, when: [], via: [] }];
    for (const call of descendantsOfKind(sourceFile, SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (!Node.isPropertyAccessExpression(callee)) continue;
      const method = callee.getName();
      const args = call.getArguments();
      const first = args[0] ? constantString(args[0]) : undefined;
      if (first === undefined) continue;
      if (method === "option" || method === "requiredOption") {
        if (flag.test(first)) {
          const last = args.length >= 3 ? args[args.length - 1] : undefined;
          return withDefault(last && !isFunctionArg(last) ? last : undefined, call);
        }
        if (first === key && args[1] && Node.isObjectLiteralExpression(unwrap(args[1]))) return withDefault(propertyValue(args[1], "default"), call);
      }
      if (method === "default" && first === key && args[1]) return withDefault(args[1], call);
    }
    for (const created of descendantsOfKind(sourceFile, SyntaxKind.NewExpression)) {
      if (!/(?:^|\.)Option$/.test(created.getExpression().getText())) continue;
      const spec = created.getArguments()[0];
      if (!spec || !flag.test(constantString(spec) ?? "")) continue;
      const access = created.getParentWhile((p) => Node.isPropertyAccessExpression(p) || Node.isCallExpression(p) || Node.isParenthesizedExpression(p));
      const chain = access ? descendantsOfKind(access, SyntaxKind.CallExpression).concat(Node.isCallExpression(access) ? [access] : []) : [];
      const def = chain.find((c) => Node.isPropertyAccessExpression(c.getExpression()) && (c.getExpression() as import("ts-morph").PropertyAccessExpression).getName() === "default");
      return withDefault(def?.getArguments()[0], created);
    }
    for (const prop of descendantsOfKind(sourceFile, SyntaxKind.PropertyAssignment)) {
      if (propertyName(prop) !== key) continue;
      const value = unwrap(prop.getInitializerOrThrow());
      if (!Node.isObjectLiteralExpression(value)) continue;
      const names = new Set(value.getProperties().map(propertyName));
      if (!(names.has("type") || names.has("describe") || names.has("description") || names.has("alias") || names.has("short"))) continue;
      return withDefault(propertyValue(value, "default"), prop);
    }
    return undefined;
  }

  private call(node: CallExpression, bindings: Bindings, depth: number): HostOutcome[] {
    const callee = unwrap(node.getExpression());
    const args = node.getArguments();
    if (Node.isIdentifier(callee) && callee.getText() === "String" && args[0]) return this.eval(args[0], bindings, depth + 1);
    if (Node.isPropertyAccessExpression(callee) && PASS_THROUGH.has(callee.getName())) return this.eval(callee.getExpression(), bindings, depth + 1);
    const fn = calledFunction(callee, this.workspace);
    if (!fn || this.active.has(fn)) return [UNKNOWN];
    const params = new Map<Node, HostOutcome[]>();
    fn.getParameters().forEach((param, i) => {
      const arg = args[i];
      if (arg) params.set(param, this.eval(arg, bindings, depth + 1));
      else if (!param.getInitializer()) params.set(param, [{ kind: "unset", at: node, when: [], via: [`\`${param.getName()}\` is not passed`] }]);
    });
    this.active.add(fn);
    try {
      const out: HostOutcome[] = [];
      for (const ret of returnedValues(fn)) {
        let outcomes = this.eval(ret, params, depth + 1);
        // `if (!host) return "127.0.0.1"; return host;`: where `host` is returned, it is set.
        if (presenceChecked(ret)) outcomes = outcomes.filter((o) => o.kind !== "unset");
        const branch = branchCondition(ret, fn);
        const name = short(callee);
        const empty = branch && Node.isPrefixUnaryExpression(branch) && branch.getOperatorToken() === SyntaxKind.ExclamationToken ? unwrap(branch.getOperand()) : undefined;
        const when = !branch ? undefined : empty ? `\`${short(empty)}\` is empty in \`${name}\`` : `\`${short(branch)}\` holds in \`${name}\``;
        out.push(...(when ? outcomes.map((o) => ({ ...o, when: [...o.when, when] })) : outcomes));
      }
      return this.step(out.length > 0 ? out : [UNKNOWN], `\`${short(callee)}(…)\` (${whereIs(fn, this.from, this.workspace)})`);
    } finally {
      this.active.delete(fn);
    }
  }
}

const PARSED_ARGUMENTS = /\b(?:argv|parseArgs|parseSync|yargs|program|commander|cli|flags|meow)\b|\.opts(?:WithGlobals)?\(\)|(?<!JSON)\.parse(?:Async)?\(/;

/**
 * An object that holds parsed command-line arguments: `program.opts()`, `yargs(...).argv`,
 * `parseArgs(...).values`, a variable initialized from one, or the parameter of a commander
 * `.action((options) => ...)` callback. Only then do option declarations say what its properties hold.
 */
function looksLikeParsedArguments(node: Node, depth = 0): boolean {
  const n = unwrap(node);
  if (depth > 3) return false;
  if (PARSED_ARGUMENTS.test(n.getText())) return true;
  const decl = Node.isIdentifier(n) ? declarationOf(n) : Node.isParameterDeclaration(n) ? n : undefined;
  if (!decl) return false;
  if (Node.isParameterDeclaration(decl)) {
    const fn = decl.getParent();
    const call = fn?.getParent();
    return !!call && Node.isCallExpression(call) && /\.action$/.test(call.getExpression().getText());
  }
  if (Node.isVariableDeclaration(decl)) return !!decl.getInitializer() && looksLikeParsedArguments(decl.getInitializer()!, depth + 1);
  if (Node.isBindingElement(decl)) {
    const owner = decl.getParent().getParent();
    return Node.isVariableDeclaration(owner) && !!owner.getInitializer() && looksLikeParsedArguments(owner.getInitializer()!, depth + 1);
  }
  return false;
}

function returnedValues(fn: import("./mcp.js").FunctionLike): Node[] {
  const body = fn.getBody();
  if (!body) return [];
  if (!Node.isBlock(body)) return [body];
  return descendantsOfKind(body, SyntaxKind.ReturnStatement)
    .filter((r) => r.getFirstAncestor((a) => isFunctionLike(a)) === fn)
    .map((r) => r.getExpression())
    .filter((e): e is NonNullable<typeof e> => e !== undefined);
}

/** The condition of the innermost `if` whose then-branch holds a returned value, within its function. */
function branchCondition(expr: Node, fn: Node): Node | undefined {
  let child: Node = expr;
  for (let cur = expr.getParent(); cur && cur !== fn; child = cur, cur = cur.getParent()) {
    if (Node.isIfStatement(cur) && cur.getThenStatement() === child) return cur.getExpression();
    if (Node.isIfStatement(cur) && cur.getElseStatement() === child) return undefined;
  }
  return undefined;
}

/**
 * True when a returned identifier is only reached once it is known to be set: after
 * `if (!x) return …` / `if (!x) throw …`, or inside `if (x) { … }`, `x ? … : …`, `x && …`.
 */
function presenceChecked(expr: Node): boolean {
  const node = unwrap(expr);
  if (!Node.isIdentifier(node)) return false;
  const name = node.getText();
  const isValue = (c: Node) => c.getText() === name || new RegExp(`^${name}\\??\\.(?:trim\\(\\)|length)`).test(c.getText());
  /** The condition is true only when the value is set. */
  const impliesSet = (cond: Node): boolean => {
    const c = unwrap(cond);
    if (isValue(c)) return true;
    if (Node.isBinaryExpression(c) && c.getOperatorToken().getKind() === SyntaxKind.AmpersandAmpersandToken) return impliesSet(c.getLeft()) || impliesSet(c.getRight());
    return false;
  };
  /** The condition is true whenever the value is unset. */
  const coversUnset = (cond: Node): boolean => {
    const c = unwrap(cond);
    if (Node.isPrefixUnaryExpression(c) && c.getOperatorToken() === SyntaxKind.ExclamationToken) return impliesSet(c.getOperand());
    if (Node.isBinaryExpression(c)) {
      const op = c.getOperatorToken().getKind();
      if (op === SyntaxKind.BarBarToken) return coversUnset(c.getLeft()) || coversUnset(c.getRight());
      if ((op === SyntaxKind.EqualsEqualsEqualsToken || op === SyntaxKind.EqualsEqualsToken) && isValue(unwrap(c.getLeft()))) return /^(?:undefined|null|"")$/.test(c.getRight().getText());
    }
    return false;
  };
  let child: Node = node;
  for (let cur: Node | undefined = node.getParent(); cur && !isFunctionLike(cur); child = cur, cur = cur.getParent()) {
    if (Node.isIfStatement(cur) && cur.getThenStatement() === child && impliesSet(cur.getExpression())) return true;
    if (Node.isConditionalExpression(cur) && cur.getWhenTrue() === child && impliesSet(cur.getCondition())) return true;
    if (Node.isBlock(cur)) {
      const statements = cur.getStatements();
      const index = statements.indexOf(child as never);
      for (let i = 0; i < index; i++) {
        const s = statements[i]!;
        if (!Node.isIfStatement(s) || !coversUnset(s.getExpression())) continue;
        const then = s.getThenStatement();
        const last = Node.isBlock(then) ? then.getStatements().at(-1) : then;
        if (last && (Node.isReturnStatement(last) || Node.isThrowStatement(last))) return true;
      }
    }
  }
  return false;
}
