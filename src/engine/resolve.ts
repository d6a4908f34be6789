import { Node, SyntaxKind, ts, type ArrayLiteralExpression, type CallExpression, type ClassDeclaration, type ClassExpression, type ObjectLiteralExpression, type ParameterDeclaration, type SourceFile } from "ts-morph";
import { exportedDeclaration, linkedModule } from "./imports.js";
import { constrainedKeys, type FunctionLike, type McpFile, type ToolHandler } from "./mcp.js";
import { bindingPath, compilerNodesOfKind, constantString, declarationOf, descendantsOfKind, descendantsOfKindWhere, propertyName, propertyValue, unwrap, unwrapCompiler } from "./values.js";

export type ClassLike = ClassDeclaration | ClassExpression;

/**
 * What an expression may evaluate to, as far as finding the functions a call invokes needs:
 * functions, object and array literals, classes and their instances, modules and Maps.
 */
export type Value =
  | { kind: "function"; fn: FunctionLike; owner?: ObjectLiteralExpression | ClassLike }
  | { kind: "object"; node: ObjectLiteralExpression }
  | { kind: "array"; node: ArrayLiteralExpression }
  | { kind: "list"; items: readonly Value[] }
  | { kind: "class"; node: ClassLike }
  | { kind: "instance"; node: ClassLike }
  | { kind: "module"; file: SourceFile }
  | { kind: "map"; values: readonly Value[] };

/** A registration whose handler was named by an expression and found through the Resolver. */
type HandlerIndex = Map<SourceFile, Map<Node, ToolHandler[]>>;

/** A call of the call index: its compiler node, and how its file wraps compiler nodes. */
interface CompilerCall {
  node: ts.CallExpression;
  wrap: (node: ts.Node) => Node;
}

/** An argument of a call in the call index, by position. */
interface CompilerArgument {
  call: CompilerCall;
  index: number;
}

function wrapCall(call: CompilerCall): CallExpression {
  return call.wrap(call.node) as CallExpression;
}

function wrapArgument(arg: CompilerArgument): { call: CallExpression; index: number } {
  return { call: wrapCall(arg.call), index: arg.index };
}

const MAX_VALUES = 24;
/** The call index's key for calls whose callee is itself a call's result. */
const DYNAMIC_CALLEE = "()";
/** Text of a file that may register MCP handlers (the SDK, a server class, a registration call). */
const REGISTRATION_HINT = /@modelcontextprotocol|McpServer|SSEServerTransport|StreamableHTTPServerTransport|\.(?:tool|registerTool|setRequestHandler|resource|registerResource|prompt|registerPrompt)\s*\(|createServer/;
const MAX_STACK = 40;
/** Call sites whose arguments a parameter's value is read from, at most. */
const MAX_PARAMETER_SITES = 12;
const ELEMENT_METHODS = new Set(["find", "findLast", "at", "pop", "shift"]);
const SAME_ARRAY_METHODS = new Set(["filter", "slice", "sort", "toSorted", "reverse", "toReversed", "concat", "flat"]);
const CALLBACK_METHODS = new Set(["forEach", "map", "flatMap", "filter", "find", "findLast", "findIndex", "some", "every"]);

/**
 * Finds the functions a call may invoke and the calls that may invoke a function, across the files
 * of one analysis: local and imported functions (through barrels, tsconfig aliases, `require` and
 * dynamic `import()`), static and instance methods (`Foo.bar()`, `this.svc.run()`, `new Foo().bar()`,
 * a parameter typed with a class or an interface it implements), functions kept in object
 * properties, arrays, Maps and registries (`tools[name].handler(args)`, `for (const t of tools)`),
 * and functions passed as arguments (`run(args, execGit)` calls `execGit` where `run` calls its
 * parameter). Flow-insensitive and context-insensitive: a parameter's value is what any call passes.
 */
export class Resolver {
  private readonly memo = new Map<Node, Value[]>();
  private readonly active = new Set<Node>();
  private readonly callers = new Map<FunctionLike, CallExpression[]>();
  private calls?: Map<string, CompilerCall[]>;
  private readonly wrappedCalls = new Map<string, CallExpression[]>();
  private functionArguments?: Map<string, CompilerArgument[]>;
  private inlineArguments?: Map<ts.Node, CompilerArgument>;
  private implementers?: Map<string, ClassLike[]>;
  private handlerIndex?: HandlerIndex;

  constructor(
    private readonly files: () => readonly SourceFile[],
    private readonly mcpOf: (file: SourceFile) => McpFile,
  ) {}

  /** The functions an expression (typically a callee) may denote. */
  functionsOf(expr: Node): FunctionLike[] {
    const out: FunctionLike[] = [];
    for (const v of this.valuesOf(expr)) if (v.kind === "function" && !out.includes(v.fn)) out.push(v.fn);
    return out;
  }

  /** The calls, anywhere in the analysis, that may invoke `fn`. */
  callersOf(fn: FunctionLike): CallExpression[] {
    let out = this.callers.get(fn);
    if (out) return out;
    out = [];
    this.callers.set(fn, out);
    const names = this.namesOf(fn);
    // Calls of a computed callee (`handlers.get(name)!(args)`, `tools[name](args)`) may call any stored function.
    for (const name of [...names, DYNAMIC_CALLEE, "[]"]) {
      for (const call of this.callsNamed(name)) if (!out.includes(call) && this.functionsOf(call.getExpression()).includes(fn)) out.push(call);
    }
    // Passed as a value: `run(args, execGit)` reaches `fn` where `run` calls its parameter.
    const passed = names.flatMap((n) => (this.argumentIndex().get(n) ?? []).map(wrapArgument));
    const indexed = this.inlineIndex().get(fn.compilerNode);
    const inline = indexed && wrapArgument(indexed);
    if (inline) passed.push(inline);
    for (const { call, index } of passed) {
      const arg = call.getArguments()[index];
      if (!arg || (inline?.call !== call && !this.functionsOf(arg).includes(fn))) continue;
      for (const callee of this.functionsOf(call.getExpression()).slice(0, 3)) {
        const param = callee.getParameters()[index];
        if (!param || !Node.isIdentifier(param.getNameNode())) continue;
        for (const site of this.callsNamed(param.getName())) {
          const target = unwrap(site.getExpression());
          if (Node.isIdentifier(target) && declarationOf(target) === param && !out.includes(site)) out.push(site);
        }
      }
    }
    return out;
  }

  /**
   * Handlers defined in `file`, keyed by function: the registrations of every file of the analysis
   * whose handler expression resolves here (`server.tool(t.name, t.schema, t.handler)` in a loop,
   * a handler imported through a barrel, `registerTool(server, def)` wrappers).
   */
  handlersIn(file: SourceFile): Map<Node, ToolHandler[]> | undefined {
    if (!this.handlerIndex) {
      const index: HandlerIndex = new Map();
      const add = (handler: ToolHandler) => {
        const sf = handler.fn.getSourceFile();
        let map = index.get(sf);
        if (!map) index.set(sf, (map = new Map()));
        const list = map.get(handler.fn) ?? [];
        if (!list.some((h) => h.registration === handler.registration)) list.push(handler);
        map.set(handler.fn, list);
      };
      this.handlerIndex = index;
      for (const sf of this.files()) {
        if (!REGISTRATION_HINT.test(sf.getFullText())) continue;
        const mcp = this.mcpOf(sf);
        for (const handler of mcp.handlers) add(this.withSchema({ ...handler, toolName: handler.toolName ?? this.registeredName(handler.registration) }));
        for (const { ref, ...rest } of mcp.importedHandlers) {
          for (const v of this.valuesOf(ref).slice(0, MAX_VALUES)) {
            if (v.kind !== "function") continue;
            const owned = v.owner && Node.isObjectLiteralExpression(v.owner) ? propertyValue(v.owner, "name") : undefined;
            add(this.withSchema({ ...rest, fn: v.fn, toolName: rest.toolName ?? (owned ? constantString(owned) : undefined) ?? this.registeredName(rest.registration) }));
          }
        }
      }
    }
    return this.handlerIndex.get(file);
  }

  /**
   * A tool whose input schema is defined in another module (`server.tool("x", argSchema, handler)`
   * with `argSchema` imported): its constrained keys (`z.number()`, `z.enum`) carry no attack either.
   */
  private withSchema(handler: ToolHandler): ToolHandler {
    if ((handler.kind !== "tool" && handler.kind !== "registerTool") || !Node.isCallExpression(handler.registration)) return handler;
    const args = handler.registration.getArguments();
    const candidates = handler.kind === "registerTool" ? (args[1] ? this.valuesOf(args[1]).flatMap((v) => (v.kind === "object" ? [propertyValue(v.node, "inputSchema")] : [])) : []) : args.slice(1);
    const keys = new Set(handler.inputs[0]?.safeKeys ?? []);
    for (const arg of candidates) {
      if (!arg) continue;
      const node = unwrap(arg);
      if (!Node.isIdentifier(node) && !Node.isPropertyAccessExpression(node)) continue;
      for (const v of this.valuesOf(node)) if (v.kind === "object") for (const key of constrainedKeys(v.node)) keys.add(key);
    }
    if (keys.size === (handler.inputs[0]?.safeKeys.size ?? 0) || !handler.inputs[0]) return handler;
    return { ...handler, inputs: [{ ...handler.inputs[0], safeKeys: keys }, ...handler.inputs.slice(1)] };
  }

  /** `server.tool(def.name, ...)` with `def` an object literal elsewhere: the name written there. */
  private registeredName(registration: CallExpression | FunctionLike): string | undefined {
    if (!Node.isCallExpression(registration)) return undefined;
    const first = registration.getArguments()[0];
    if (!first || !Node.isPropertyAccessExpression(unwrap(first))) return undefined;
    const access = unwrap(first) as import("ts-morph").PropertyAccessExpression;
    const names = new Set<string>();
    for (const v of this.valuesOf(access.getExpression())) {
      if (v.kind !== "object") continue;
      const value = propertyValue(v.node, access.getName());
      const text = value ? constantString(value) : undefined;
      if (text !== undefined) names.add(text);
    }
    // One object, one name; a loop over several definitions names none of them here.
    return names.size === 1 ? [...names][0] : undefined;
  }

  /** What an expression may evaluate to. */
  valuesOf(expr: Node): Value[] {
    const node = unwrap(expr);
    const cached = this.memo.get(node);
    if (cached) return cached;
    if (this.active.has(node) || this.active.size > MAX_STACK) return [];
    this.active.add(node);
    try {
      const out = dedupe(this.compute(node)).slice(0, MAX_VALUES);
      this.memo.set(node, out);
      return out;
    } finally {
      this.active.delete(node);
    }
  }

  private compute(node: Node): Value[] {
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node)) return [{ kind: "function", fn: node }];
    if (Node.isObjectLiteralExpression(node)) return [{ kind: "object", node }];
    if (Node.isArrayLiteralExpression(node)) return [{ kind: "array", node }];
    if (Node.isClassExpression(node)) return [{ kind: "class", node }];
    if (node.getKind() === SyntaxKind.ThisKeyword) return thisValue(node);
    if (Node.isIdentifier(node)) {
      const decl = declarationOf(node);
      return decl ? this.declarationValues(decl) : [];
    }
    if (Node.isPropertyAccessExpression(node)) return this.valuesOf(node.getExpression()).flatMap((v) => this.member(v, node.getName()));
    if (Node.isElementAccessExpression(node)) {
      const arg = node.getArgumentExpression();
      const key = arg ? constantString(arg) : undefined;
      return this.valuesOf(node.getExpression()).flatMap((v) => (key !== undefined ? this.member(v, key) : this.allMembers(v)));
    }
    if (Node.isNewExpression(node)) {
      if (node.getExpression().getText() === "Map") return [{ kind: "map", values: this.mapValues(node) }];
      return this.valuesOf(node.getExpression()).flatMap((v) => (v.kind === "class" ? [{ kind: "instance", node: v.node } as Value] : []));
    }
    if (Node.isCallExpression(node)) return this.callValues(node);
    if (Node.isAwaitExpression(node)) return this.valuesOf(node.getExpression());
    if (Node.isConditionalExpression(node)) return [...this.valuesOf(node.getWhenTrue()), ...this.valuesOf(node.getWhenFalse())];
    if (Node.isBinaryExpression(node)) {
      const op = node.getOperatorToken().getKind();
      if (op === SyntaxKind.BarBarToken || op === SyntaxKind.QuestionQuestionToken) return [...this.valuesOf(node.getLeft()), ...this.valuesOf(node.getRight())];
      if (op === SyntaxKind.AmpersandAmpersandToken || op === SyntaxKind.CommaToken || op === SyntaxKind.EqualsToken) return this.valuesOf(node.getRight());
    }
    return [];
  }

  private callValues(call: CallExpression): Value[] {
    const callee = unwrap(call.getExpression());
    const args = call.getArguments();
    const spec = args[0] && (Node.isStringLiteral(args[0]) || Node.isNoSubstitutionTemplateLiteral(args[0])) ? args[0].getLiteralValue() : undefined;
    if (callee.getKind() === SyntaxKind.ImportKeyword || (Node.isIdentifier(callee) && callee.getText() === "require")) {
      const file = spec ? linkedModule(call.getSourceFile(), spec) : undefined;
      return file ? [{ kind: "module", file }] : [];
    }
    if (/(?:^|\.)promisify$/.test(callee.getText()) && args[0]) return this.valuesOf(args[0]);
    if (Node.isPropertyAccessExpression(callee)) {
      const method = callee.getName();
      const receiver = callee.getExpression();
      const receiverText = receiver.getText();
      if (method === "bind") return this.valuesOf(receiver);
      if (receiverText === "Object" && method === "values" && args[0]) return [{ kind: "list", items: this.valuesOf(args[0]).flatMap((v) => this.allMembers(v)) }];
      if (receiverText === "Array" && method === "from" && args[0]) return this.valuesOf(args[0]);
      if (ELEMENT_METHODS.has(method)) return this.valuesOf(receiver).flatMap((v) => this.elements(v));
      if (SAME_ARRAY_METHODS.has(method)) {
        const extra = method === "concat" ? args.flatMap((a) => this.valuesOf(a)) : [];
        return [...this.valuesOf(receiver).filter((v) => v.kind === "array" || v.kind === "list"), ...extra];
      }
      if (method === "get") {
        const maps = this.valuesOf(receiver).filter((v): v is Extract<Value, { kind: "map" }> => v.kind === "map");
        if (maps.length > 0) return maps.flatMap((m) => m.values);
      }
    }
    // A factory: what the called functions return.
    const out: Value[] = [];
    for (const fn of this.functionsOf(callee).slice(0, 3)) for (const ret of returnExpressions(fn)) out.push(...this.valuesOf(ret));
    return out;
  }

  private declarationValues(decl: Node): Value[] {
    if (Node.isFunctionDeclaration(decl)) return decl.getBody() || !decl.getImplementation() ? [{ kind: "function", fn: decl }] : [{ kind: "function", fn: decl.getImplementation()! }];
    if (Node.isClassDeclaration(decl)) return [{ kind: "class", node: decl }];
    if (Node.isMethodDeclaration(decl)) return [{ kind: "function", fn: decl }];
    if (Node.isVariableDeclaration(decl)) {
      const init = decl.getInitializer();
      const loop = decl.getParent()?.getParent();
      if (loop && Node.isForOfStatement(loop) && !init) return this.valuesOf(loop.getExpression()).flatMap((v) => this.elements(v));
      return init ? this.valuesOf(init) : [];
    }
    if (Node.isParameterDeclaration(decl)) return this.parameterValues(decl);
    if (Node.isBindingElement(decl)) {
      const { root: cur, keys } = bindingPath(decl);
      let values = Node.isParameterDeclaration(cur) || Node.isVariableDeclaration(cur) ? this.declarationValues(cur) : [];
      for (const key of keys) values = values.flatMap((v) => (key === "[]" ? this.elements(v) : this.member(v, key)));
      return values;
    }
    if (Node.isImportSpecifier(decl) || Node.isImportClause(decl) || Node.isNamespaceImport(decl)) {
      const importDecl = decl.getFirstAncestorByKind(SyntaxKind.ImportDeclaration);
      const file = importDecl ? linkedModule(decl.getSourceFile(), importDecl.getModuleSpecifierValue()) : undefined;
      if (!file) return [];
      if (Node.isNamespaceImport(decl)) return [{ kind: "module", file }];
      const exported = exportedDeclaration(file, Node.isImportClause(decl) ? "default" : decl.getName());
      return exported ? this.declarationValues(exported) : [];
    }
    if (Node.isExportSpecifier(decl) || Node.isInterfaceDeclaration(decl) || Node.isTypeAliasDeclaration(decl) || Node.isEnumDeclaration(decl)) return [];
    if (Node.isPropertyAssignment(decl)) return this.valuesOf(decl.getInitializerOrThrow());
    if (Node.isShorthandPropertyAssignment(decl)) {
      const target = declarationOf(decl);
      return target && target !== decl ? this.declarationValues(target) : [];
    }
    if (Node.isExpression(decl)) return this.valuesOf(decl);
    return [];
  }

  /**
   * A parameter: an instance of the class its type names (dependency injection), an element of the
   * array a callback iterates, or whatever the function's callers pass in its place.
   */
  private parameterValues(param: ParameterDeclaration): Value[] {
    const typed = this.typeValues(param);
    if (typed.length > 0) return typed;
    const fn = param.getParent();
    if (!(Node.isFunctionDeclaration(fn) || Node.isArrowFunction(fn) || Node.isFunctionExpression(fn) || Node.isMethodDeclaration(fn))) return [];
    const index = fn.getParameters().indexOf(param);
    const call = fn.getParent();
    if (call && Node.isCallExpression(call) && index === 0) {
      const callee = call.getExpression();
      if (Node.isPropertyAccessExpression(callee) && CALLBACK_METHODS.has(callee.getName())) return this.valuesOf(callee.getExpression()).flatMap((v) => this.elements(v));
    }
    if (param.isRestParameter()) return [];
    const out: Value[] = [];
    for (const site of this.callersOf(fn).slice(0, MAX_PARAMETER_SITES)) {
      const arg = site.getArguments()[index];
      if (arg) out.push(...this.valuesOf(arg));
    }
    return out;
  }

  /** `svc: FigmaService`, `provider: IGitProvider`: instances of the class, or of the classes implementing the interface. */
  private typeValues(param: ParameterDeclaration): Value[] {
    const type = param.getTypeNode();
    if (!type || !Node.isTypeReference(type)) return [];
    const name = type.getTypeName();
    if (!Node.isIdentifier(name)) return [];
    const decl = declarationOf(name);
    if (!decl) return [];
    const values = this.declarationValues(decl);
    const classes = values.flatMap((v) => (v.kind === "class" ? [{ kind: "instance", node: v.node } as Value] : []));
    if (classes.length > 0) return classes;
    const iface = Node.isInterfaceDeclaration(decl) ? decl : Node.isImportSpecifier(decl) ? decl : undefined;
    if (!iface) return [];
    return (this.implementersIndex().get(Node.isImportSpecifier(iface) ? iface.getName() : iface.getName()) ?? []).map((node) => ({ kind: "instance", node }) as Value);
  }

  /** A member of a value: an object's property, a class's static or an instance's method or field, a module's export. */
  private member(value: Value, name: string): Value[] {
    switch (value.kind) {
      case "object": {
        const out: Value[] = [];
        for (const prop of value.node.getProperties()) {
          if (Node.isSpreadAssignment(prop)) {
            out.push(...this.valuesOf(prop.getExpression()).flatMap((v) => this.member(v, name)));
            continue;
          }
          if (propertyName(prop) !== name) continue;
          if (Node.isMethodDeclaration(prop)) out.push({ kind: "function", fn: prop, owner: value.node });
          else if (Node.isPropertyAssignment(prop) || Node.isShorthandPropertyAssignment(prop)) out.push(...this.declarationValues(prop));
        }
        return out.map((v) => (v.kind === "function" && !v.owner ? { ...v, owner: value.node } : v));
      }
      case "class":
      case "instance":
        return this.classMember(value.node, name, value.kind === "class", 0);
      case "module": {
        const decl = exportedDeclaration(value.file, name);
        return decl ? this.declarationValues(decl) : [];
      }
      default:
        return [];
    }
  }

  private classMember(cls: ClassLike, name: string, isStatic: boolean, depth: number): Value[] {
    if (depth > 4) return [];
    const method = isStatic ? cls.getStaticMethod(name) : cls.getInstanceMethod(name);
    if (method) return [{ kind: "function", fn: (method.getBody() ? method : method.getImplementation()) ?? method, owner: cls }];
    const out: Value[] = [];
    const prop = isStatic ? cls.getStaticProperty(name) : cls.getInstanceProperty(name);
    if (prop && Node.isPropertyDeclaration(prop) && prop.getInitializer()) out.push(...this.valuesOf(prop.getInitializerOrThrow()));
    if (prop && Node.isParameterDeclaration(prop)) out.push(...this.parameterValues(prop));
    if (!isStatic) {
      // this.name = value, anywhere in the class
      const sf = cls.getSourceFile().compilerNode;
      const assignsName = (node: ts.Node) => {
        const { operatorToken, left } = node as ts.BinaryExpression;
        return operatorToken.kind === SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(left) && left.expression.kind === SyntaxKind.ThisKeyword && left.name.getText(sf) === name;
      };
      for (const assignment of descendantsOfKindWhere(cls, SyntaxKind.BinaryExpression, assignsName)) out.push(...this.valuesOf(assignment.getRight()));
    }
    if (out.length > 0 || prop) return out.map((v) => (v.kind === "function" && !v.owner ? { ...v, owner: cls } : v));
    const base = cls.getExtends()?.getExpression();
    if (!base) return [];
    return this.valuesOf(base).flatMap((v) => (v.kind === "class" ? this.classMember(v.node, name, isStatic, depth + 1) : []));
  }

  private allMembers(value: Value): Value[] {
    if (value.kind === "object") {
      return value.node.getProperties().flatMap((prop) => {
        if (Node.isSpreadAssignment(prop)) return this.valuesOf(prop.getExpression()).flatMap((v) => this.allMembers(v));
        if (Node.isMethodDeclaration(prop)) return [{ kind: "function", fn: prop, owner: value.node } as Value];
        if (Node.isPropertyAssignment(prop) || Node.isShorthandPropertyAssignment(prop)) return this.declarationValues(prop);
        return [];
      });
    }
    if (value.kind === "map") return [...value.values];
    return this.elements(value);
  }

  private elements(value: Value): Value[] {
    if (value.kind === "list") return [...value.items];
    if (value.kind !== "array") return [];
    return value.node.getElements().flatMap((e) => (Node.isSpreadElement(e) ? this.valuesOf(e.getExpression()).flatMap((v) => this.elements(v)) : this.valuesOf(e)));
  }

  /** Values a Map holds: `new Map([[k, v], ...])` and `map.set(k, v)` on the variable it is stored in. */
  private mapValues(node: import("ts-morph").NewExpression): Value[] {
    const out: Value[] = [];
    const entries = node.getArguments()?.[0];
    if (entries) for (const entry of this.valuesOf(entries).flatMap((v) => this.elements(v))) if (entry.kind === "array") out.push(...this.valuesOf(entry.node.getElements()[1] ?? entry.node));
    const owner = node.getParent();
    const name = owner && Node.isVariableDeclaration(owner) ? owner.getName() : owner && Node.isPropertyDeclaration(owner) ? owner.getName() : undefined;
    if (name) {
      for (const call of this.callsNamed("set")) {
        const callee = call.getExpression();
        if (call.getSourceFile() !== node.getSourceFile() || !Node.isPropertyAccessExpression(callee)) continue;
        const receiver = callee.getExpression();
        const receiverName = Node.isIdentifier(receiver) ? receiver.getText() : Node.isPropertyAccessExpression(receiver) ? receiver.getName() : undefined;
        if (receiverName === name && call.getArguments()[1]) out.push(...this.valuesOf(call.getArguments()[1]!));
      }
    }
    return out;
  }

  /** Names a function is called by: its own, and those of the properties, variables and imports that hold it. */
  private namesOf(fn: FunctionLike): string[] {
    const names = new Set<string>();
    const own = functionName(fn);
    if (own) names.add(own);
    if (own && !Node.isMethodDeclaration(fn)) for (const alias of this.aliasIndex().get(own) ?? []) names.add(alias);
    if (Node.isFunctionDeclaration(fn) && fn.isDefaultExport()) for (const alias of this.defaultImportIndex().get(fn.getSourceFile()) ?? []) names.add(alias);
    return [...names];
  }

  private aliases?: Map<string, Set<string>>;
  private defaultImports?: Map<SourceFile, string[]>;

  /**
   * For each name, the other names the same value is stored under anywhere in the analysis:
   * `handler: fn`, `const alias = fn`, `const fnAsync = promisify(fn)`, `import { fn as alias }`.
   */
  private aliasIndex(): Map<string, Set<string>> {
    if (!this.aliases) {
      const index = new Map<string, Set<string>>();
      const add = (from: string, to: string | undefined) => {
        if (!to || to === from) return;
        let set = index.get(from);
        if (!set) index.set(from, (set = new Set()));
        set.add(to);
      };
      for (const file of this.files()) {
        // Few of these nodes can hold a function's name: test the compiler nodes, wrap only those.
        for (const prop of descendantsOfKindWhere(file, SyntaxKind.PropertyAssignment, holdsName)) {
          const init = prop.getInitializer();
          const value = init ? unwrap(init) : undefined;
          if (value && Node.isIdentifier(value)) add(value.getText(), propertyName(prop));
        }
        for (const decl of descendantsOfKindWhere(file, SyntaxKind.VariableDeclaration, mayAlias)) {
          const init = decl.getInitializer();
          if (!init || !Node.isIdentifier(decl.getNameNode())) continue;
          const value = unwrap(init);
          if (Node.isIdentifier(value)) add(value.getText(), decl.getName());
          else if (Node.isCallExpression(value)) {
            // const fnAsync = promisify(fn); const bound = fn.bind(this)
            const callee = value.getExpression();
            const first = value.getArguments()[0];
            if (/(?:^|\.)promisify$/.test(callee.getText()) && first && Node.isIdentifier(first)) add(first.getText(), decl.getName());
            if (Node.isPropertyAccessExpression(callee) && callee.getName() === "bind" && Node.isIdentifier(callee.getExpression())) add(callee.getExpression().getText(), decl.getName());
          }
        }
        for (const spec of descendantsOfKindWhere(file, SyntaxKind.ImportSpecifier, (node) => !!(node as ts.ImportSpecifier).propertyName)) if (spec.getAliasNode()) add(spec.getName(), spec.getAliasNode()!.getText());
      }
      this.aliases = index;
    }
    return this.aliases;
  }

  /** Local names of default imports, by the file they import. */
  private defaultImportIndex(): Map<SourceFile, string[]> {
    if (!this.defaultImports) {
      const index = new Map<SourceFile, string[]>();
      for (const file of this.files()) {
        for (const decl of file.getImportDeclarations()) {
          const name = decl.getImportClause()?.getDefaultImport()?.getText();
          const target = name ? linkedModule(file, decl.getModuleSpecifierValue()) : undefined;
          if (target) index.set(target, [...(index.get(target) ?? []), name!]);
        }
      }
      this.defaultImports = index;
    }
    return this.defaultImports;
  }

  /**
   * Every call of the analysis by the name it calls (`run` for `run(...)` and `x.run(...)`), and the
   * identifiers and inline functions passed as arguments: built on compiler nodes, wrapped on demand.
   */
  private callIndex(): Map<string, CompilerCall[]> {
    if (!this.calls) {
      const calls = new Map<string, CompilerCall[]>();
      const args = new Map<string, CompilerArgument[]>();
      const inline = new Map<ts.Node, CompilerArgument>();
      for (const file of this.files()) {
        const { nodes, wrap } = compilerNodesOfKind(file, SyntaxKind.CallExpression);
        const sf = file.compilerNode;
        for (const node of nodes as readonly ts.CallExpression[]) {
          const call: CompilerCall = { node, wrap };
          const callee = unwrapCompiler(node.expression);
          const key = ts.isIdentifier(callee)
            ? callee.getText(sf)
            : ts.isPropertyAccessExpression(callee)
              ? callee.name.getText(sf)
              : ts.isElementAccessExpression(callee)
                ? "[]"
                : ts.isCallExpression(callee)
                  ? DYNAMIC_CALLEE
                  : undefined;
          if (key !== undefined) {
            const list = calls.get(key);
            if (list) list.push(call);
            else calls.set(key, [call]);
          }
          node.arguments.forEach((arg, index) => {
            const a = unwrapCompiler(arg);
            if (ts.isIdentifier(a)) {
              const text = a.getText(sf);
              const list = args.get(text);
              if (list) list.push({ call, index });
              else args.set(text, [{ call, index }]);
            } else if (ts.isArrowFunction(a) || ts.isFunctionExpression(a)) {
              inline.set(a, { call, index });
            }
          });
        }
      }
      this.calls = calls;
      this.functionArguments = args;
      this.inlineArguments = inline;
    }
    return this.calls;
  }

  /** The calls of the analysis whose callee is named `name` (see `callIndex`). */
  private callsNamed(name: string): CallExpression[] {
    let wrapped = this.wrappedCalls.get(name);
    if (!wrapped) {
      wrapped = (this.callIndex().get(name) ?? []).map(wrapCall);
      this.wrappedCalls.set(name, wrapped);
    }
    return wrapped;
  }

  private argumentIndex(): Map<string, CompilerArgument[]> {
    this.callIndex();
    return this.functionArguments!;
  }

  private inlineIndex(): Map<ts.Node, CompilerArgument> {
    this.callIndex();
    return this.inlineArguments!;
  }

  /** Classes of the analysis by the names in their `implements` clauses. */
  private implementersIndex(): Map<string, ClassLike[]> {
    if (!this.implementers) {
      this.implementers = new Map();
      for (const file of this.files()) {
        for (const cls of descendantsOfKind(file, SyntaxKind.ClassDeclaration)) {
          for (const impl of cls.getImplements()) {
            const name = impl.getExpression().getText().replace(/^.*\./, "");
            this.implementers.set(name, [...(this.implementers.get(name) ?? []), cls]);
          }
        }
      }
    }
    return this.implementers;
  }
}

/** `handler: fn`: a property `aliasIndex` reads. */
function holdsName(node: ts.Node): boolean {
  return unwrapCompiler((node as ts.PropertyAssignment).initializer).kind === SyntaxKind.Identifier;
}

/** `const alias = fn`, `const fnAsync = promisify(fn)`, `const bound = fn.bind(this)`: a declaration `aliasIndex` reads. */
function mayAlias(node: ts.Node): boolean {
  const decl = node as ts.VariableDeclaration;
  if (!decl.initializer || decl.name.kind !== SyntaxKind.Identifier) return false;
  const kind = unwrapCompiler(decl.initializer).kind;
  return kind === SyntaxKind.Identifier || kind === SyntaxKind.CallExpression;
}

/** `this`: the instance (or, in a static member, the class) of the enclosing class, or the object literal of a method. */
function thisValue(node: Node): Value[] {
  for (let cur = node.getParent(); cur; cur = cur.getParent()) {
    if (Node.isArrowFunction(cur)) continue;
    if (Node.isMethodDeclaration(cur) || Node.isConstructorDeclaration(cur) || Node.isPropertyDeclaration(cur) || Node.isGetAccessorDeclaration(cur) || Node.isSetAccessorDeclaration(cur)) {
      const owner = cur.getParent();
      if (owner && (Node.isClassDeclaration(owner) || Node.isClassExpression(owner))) {
        const isStatic = !Node.isConstructorDeclaration(cur) && cur.isStatic();
        return [{ kind: isStatic ? "class" : "instance", node: owner }];
      }
      if (owner && Node.isObjectLiteralExpression(owner)) return [{ kind: "object", node: owner }];
      return [];
    }
    if (Node.isFunctionDeclaration(cur) || Node.isFunctionExpression(cur) || Node.isSourceFile(cur)) return [];
  }
  return [];
}

/** The name a function is declared or stored under, if any. */
export function functionName(fn: FunctionLike): string | undefined {
  if (Node.isFunctionDeclaration(fn) || Node.isMethodDeclaration(fn)) return fn.getName();
  const parent = fn.getParent();
  if (parent && Node.isVariableDeclaration(parent)) return parent.getName();
  if (parent && Node.isPropertyAssignment(parent)) return propertyName(parent);
  if (parent && Node.isPropertyDeclaration(parent)) return parent.getName();
  if (parent && Node.isBinaryExpression(parent) && Node.isPropertyAccessExpression(parent.getLeft())) return (parent.getLeft() as import("ts-morph").PropertyAccessExpression).getName();
  return undefined;
}

/** The expressions a function returns (an arrow's expression body, or its `return` statements). */
export function returnExpressions(fn: FunctionLike): Node[] {
  const body = fn.getBody();
  if (!body) return [];
  if (!Node.isBlock(body)) return [body];
  const out: Node[] = [];
  for (const ret of descendantsOfKind(body, SyntaxKind.ReturnStatement)) {
    if (ret.getFirstAncestor((a) => Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isFunctionDeclaration(a) || Node.isMethodDeclaration(a)) !== fn) continue;
    const e = ret.getExpression();
    if (e) out.push(e);
  }
  return out;
}

function dedupe(values: Value[]): Value[] {
  const out: Value[] = [];
  const seen = new Set<unknown>();
  for (const v of values) {
    const key = v.kind === "function" ? v.fn : v.kind === "module" ? v.file : v.kind === "list" || v.kind === "map" ? v : v.node;
    const tagged = `${v.kind}`;
    if (seen.has(key) && out.some((o) => o.kind === tagged && (o.kind === "function" ? o.fn : o.kind === "module" ? o.file : o.kind === "list" || o.kind === "map" ? o : o.node) === key)) continue;
    seen.add(key);
    out.push(v);
  }
  return out;
}
