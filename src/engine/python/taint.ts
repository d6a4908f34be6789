import { enclosingFunctionOf, type PyCallTarget, type PyClass, type PythonClasses } from "./classes.js";
import { enumClasses, isSafeType, safeModelFields, type PyForeignHandler, type PyToolHandler, type PythonMcpFile } from "./mcp.js";
import { nodesWithin, type PythonModule } from "./module.js";
import { nearestAncestor, perNode, type PyNode } from "./parser.js";
import type { PythonProject } from "./project.js";
import { stringPieces } from "./pieces.js";
import { callArgs, calleeOf, constantString, enclosingFunction, parametersOf, unwrapPy } from "./values.js";

/** Taint questions a Python rule may ask about expressions of its module. */
export interface PythonTaintQueries {
  /** True when tool input reaches the value of `expr`; `kind` names the sink, for its own sanitizers. */
  isTainted(expr: PyNode, kind?: SinkKind): boolean;
  /** The handlers whose input reaches `expr`. */
  sourcesOf(expr: PyNode, kind?: SinkKind): PyToolHandler[];
  /**
   * The arguments of `call` that a function of this project hands on, unchanged, to a sink
   * (`run_command(cmd)` → `subprocess.run(cmd_list)`), with the sink call: the value is built
   * here and used there, so the rule judges it here. Asked to judge tool input only: none when the
   * analysis has no MCP server.
   */
  forwardedArguments(call: PyNode, sinkArgument: SinkArgument): { argument: PyNode; sink: PyNode; sinkModule: PythonModule }[];
  /** True when the value of `expr` here is a parameter of the enclosing function, as it came in: its callers decide what it holds. */
  isParameter(expr: PyNode): boolean;
}

/** The argument of `call` a rule reads as its sink's value (the SQL text, the argv list), or undefined when `call` is not its sink. */
export type SinkArgument = (module: PythonModule, call: PyNode) => PyNode | undefined;

/**
 * What a value is used as. Some sanitizers hold for one use only: `shlex.quote` for a shell
 * command, `os.path.basename` and a resolved containment check for a path. `traversal` asks
 * whether a path may still climb with `..`: resolving or normalizing it (`resolve()`,
 * `os.path.realpath`, `abspath`, `normpath`) ends that, though not the need for a containment check.
 */
export type SinkKind = "any" | "command" | "argument" | "path" | "url" | "sql" | "traversal";
const KIND_INDEX: Record<SinkKind, number> = { any: 0, command: 1, path: 2, url: 3, sql: 4, argument: 5, traversal: 6 };
const KIND_SANITIZERS: Record<SinkKind, ReadonlySet<string>> = {
  any: new Set(),
  command: new Set(["shlex.quote", "pipes.quote", "shlex.join"]),
  path: new Set(["os.path.basename", "werkzeug.utils.secure_filename", "secure_filename", "pathvalidate.sanitize_filename"]),
  url: new Set(),
  sql: new Set(),
  argument: new Set(),
  traversal: new Set(["os.path.basename", "werkzeug.utils.secure_filename", "secure_filename", "pathvalidate.sanitize_filename"]),
};

/** A call in another function's context: the module it is written in, and the call. */
export interface PyCallSite {
  module: PythonModule;
  call: PyNode;
}

/**
 * How input reached an expression that a query found tainted: the handler it entered, and the
 * calls that carried it from there into the function holding the expression, outermost first.
 */
export interface PyFlow {
  handler: PyToolHandler;
  /** The module of the handler. */
  module: PythonModule;
  calls: readonly PyCallSite[];
  sink: PyNode;
}

/** Parameter bindings of one analysis context: a handler, or a helper called from one. */
interface Env {
  handler: PyToolHandler;
  fn: PyNode;
  module: PythonModule;
  params: ReadonlyMap<string, boolean>;
  depth: number;
  memo: Map<number, boolean>;
  /** The calls from the handler to `fn`, outermost first. */
  calls: readonly PyCallSite[];
  /** The module of the handler. */
  handlerModule: PythonModule;
  /** The object a method runs on (`runner` of `runner.run(x)`), in the caller's context. */
  receiver?: { env: Env; node: PyNode };
  /** Parameters whose argument was already resolved by the caller (`is_inside(path.resolve())`). */
  resolved?: ReadonlySet<string>;
}

const MAX_CALL_DEPTH = 3;
const FUNCTION_SCOPES = new Set(["function_definition", "lambda"]);
const NESTED_SCOPES = new Set(["function_definition", "class_definition", "lambda", "list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"]);
const COMPREHENSIONS = new Set(["list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"]);
/** Calls whose result cannot carry an attack string, whatever their argument. */
const CLEANSING = new Set([
  "int", "float", "bool", "len", "hash", "abs", "round", "ord", "isinstance", "issubclass", "callable", "id", "complex",
  "os.path.exists", "os.path.isfile", "os.path.isdir", "os.path.getsize", "uuid.UUID",
  "ipaddress.ip_address", "ipaddress.ip_network", "math.floor", "math.ceil", "max", "min", "sum", "any", "all",
]);
/** Methods that answer a question about their receiver rather than return it. */
const QUESTION_METHODS = new Set([
  "startswith", "endswith", "isdigit", "isalnum", "isalpha", "isnumeric", "isdecimal", "isidentifier", "isspace", "islower", "isupper",
  "exists", "is_file", "is_dir", "is_symlink", "is_absolute", "is_relative_to", "count", "find", "rfind", "index", "rindex", "stat", "__contains__", "fullmatch", "match", "search",
  "hexdigest", "digest", "isoformat", "timestamp", "bit_length",
]);
/** For the subject of a containment check, what collapses `..`: the resolved or normalized path can no longer climb out lexically. */
const NORMALIZING = new Set(["os.path.realpath", "os.path.abspath", "os.path.normpath", "posixpath.normpath", "posixpath.realpath", "posixpath.abspath"]);
const NORMALIZING_METHODS = new Set(["resolve", "realpath"]);
/** Calls that run a function handed to them (see `PyCallTarget.argumentOffset`). */
const RUNS_CALLBACK = /(?:to_thread|run_sync|run_in_threadpool|run_in_executor|submit)$/;
const ENUMERATING = new Set(["os.scandir", "os.walk", "glob.glob", "glob.iglob"]);
const ENUMERATING_METHODS = new Set(["rglob", "glob", "iterdir", "walk"]);
const STRING_GUARD_METHODS = new Set(["isdigit", "isalnum", "isalpha", "isnumeric", "isdecimal", "isidentifier"]);
const SUBJECT_METHODS = new Set(["lower", "upper", "strip", "lstrip", "rstrip", "casefold"]);
/** Calls whose result names the same file as their argument, or the same text up to case and spaces. */
const SAME_VALUE = /^(?:os\.path\.(?:realpath|abspath|normpath|expanduser)|pathlib\.Path|pathlib\.PurePath|str|os\.fspath)$/;
const SAME_VALUE_METHODS = new Set([...SUBJECT_METHODS, "resolve", "absolute", "expanduser"]);
const URL_PARSERS = /(?:^|\.)(?:urlparse|urlsplit|URL|urlopen_parse)$/;
const EXITS = new Set(["raise_statement", "return_statement", "continue_statement", "break_statement"]);

/**
 * Taint tracking from MCP tool input through Python code: assignments, f-strings, `%`,
 * `.format`, concatenation, `+=`, containers, `**kwargs`, and the functions and methods a call
 * may run (module functions, nested ones, imported ones, methods of the receiver's class, its
 * bases and its subclasses), three calls deep. Object state is followed too: `self.attr` is
 * tainted when some method stored tool input there (`__init__` called with tool input, a setter
 * called from a handler); a value stored from a command-line flag is not. Allowlist checks,
 * `int()`, `shlex.quote`, anchored full-match regexes and resolved-path containment checks end it.
 *
 * A context is a handler, or a function entered from one through a chain of call sites with its
 * parameters bound to the caller's arguments (`Env.caller` keeps the chain).
 */
export class PythonTaint {
  private readonly contexts = new Map<number, Env[]>();
  private readonly active = new Set<number>();
  private readonly fieldsActive = new Set<string>();
  private readonly fieldMemo = new Map<string, boolean>();
  private readonly returnMemo = new Map<string, boolean>();
  private readonly forwarding = new Set<number>();
  private readonly sinkCache = new Map<SinkArgument, Map<number, Map<string, { module: PythonModule; call: PyNode }>>>();
  private readonly callCache = new Map<number, PyNode[]>();
  /** Each module's calls by the word their callee ends with, and those that run a callback: see `callsEndingWith`. */
  private readonly callIndex = new Map<PythonModule, { byTail: Map<string, { call: PyNode; at: number }[]>; runners: { call: PyNode; at: number }[] }>();
  private readonly urlValidators = new Map<number, boolean>();
  private foreign?: Map<number, PyForeignHandler>;
  private kind: SinkKind = "any";
  /** The first flow found for each expression a query found tainted, by module path. */
  private readonly flows = new Map<string, PyFlow[]>();

  constructor(
    private readonly project: PythonProject,
    private readonly classes: PythonClasses,
    private readonly mcpOf: (module: PythonModule) => PythonMcpFile,
  ) {}

  queriesFor(module: PythonModule): PythonTaintQueries {
    return {
      isTainted: (expr, kind) => this.sourcesOf(module, expr, kind).length > 0,
      sourcesOf: (expr, kind) => this.sourcesOf(module, expr, kind),
      forwardedArguments: (call, sinkArgument) => this.forwardedArguments(module, call, sinkArgument),
      isParameter: (expr) => this.parameterAt(expr) !== undefined,
    };
  }

  sourcesOf(module: PythonModule, expr: PyNode, kind: SinkKind = "any"): PyToolHandler[] {
    if (!this.project.hasMcpServer) return [];
    this.kind = kind;
    const out: PyToolHandler[] = [];
    for (const env of this.contextsFor(module, expr, 0)) {
      if (out.includes(env.handler) || !this.eval(env, expr)) continue;
      out.push(env.handler);
      const flows = this.flows.get(module.path) ?? [];
      if (!flows.some((f) => f.sink.id === expr.id)) flows.push({ handler: env.handler, module: env.handlerModule, calls: env.calls, sink: expr });
      this.flows.set(module.path, flows);
    }
    return out;
  }

  /** The flow of a tainted expression inside `node` (or of `node` itself) that a query found; the first when several are. */
  flowWithin(module: PythonModule, node: PyNode): PyFlow | undefined {
    return this.flows.get(module.path)?.find((f) => f.sink.startIndex >= node.startIndex && f.sink.endIndex <= node.endIndex);
  }

  /** The handler a function is: registered in its own module, or by another module (`mcp.tool()(imported_fn)`). */
  private handlerOf(module: PythonModule, fn: PyNode): PyToolHandler | undefined {
    return this.mcpOf(module).handlers.find((h) => h.fn.id === fn.id) ?? this.foreignHandlers().get(fn.id)?.handler;
  }

  private foreignHandlers(): Map<number, PyForeignHandler> {
    if (!this.foreign) {
      this.foreign = new Map();
      for (const m of this.project.mcpModules()) for (const f of this.mcpOf(m).foreignHandlers) if (!this.foreign.has(f.handler.fn.id)) this.foreign.set(f.handler.fn.id, f);
    }
    return this.foreign;
  }

  /** The contexts a node runs in: the handler around it, or a helper's call sites in handlers. */
  private contextsFor(module: PythonModule, node: PyNode, depth: number): Env[] {
    const chain: PyNode[] = [];
    for (let n = enclosingFunctionOf(node); n; n = enclosingFunctionOf(n)) chain.push(n);
    if (chain.length === 0) return [];
    for (const fn of chain) {
      const handler = this.handlerOf(module, fn);
      if (handler) return [this.handlerEnv(module, handler)];
    }
    const fn = chain[0]!;
    const cacheKey = fn.id * 8 + KIND_INDEX[this.kind];
    const cached = this.contexts.get(cacheKey);
    if (cached) return cached;
    if (depth >= MAX_CALL_DEPTH || this.active.has(fn.id)) return [];
    const outermost = this.active.size === 0 && this.fieldsActive.size === 0;
    this.active.add(fn.id);
    const out: Env[] = [];
    try {
      const stateful = this.readsState(module, fn);
      for (const site of this.callSitesOf(module, fn)) {
        for (const callerEnv of this.contextsFor(site.module, site.call, depth + 1)) {
          const params = this.bind(callerEnv, site.target, site.call);
          if (![...params.values()].some(Boolean) && !stateful) continue;
          out.push({
            handler: callerEnv.handler, fn, module, params, depth: callerEnv.depth + 1, memo: new Map(),
            calls: [...callerEnv.calls, { module: site.module, call: site.call }], handlerModule: callerEnv.handlerModule,
            receiver: receiverOf(callerEnv, site.call, site.target),
          });
        }
      }
    } finally {
      this.active.delete(fn.id);
    }
    if (outermost) this.contexts.set(cacheKey, out);
    return out;
  }

  private handlerEnv(module: PythonModule, handler: PyToolHandler): Env {
    const key = -handler.fn.id - 1;
    const cached = this.contexts.get(key);
    if (cached) return cached[0]!;
    const params = new Map(parametersOf(handler.fn).map((p) => [p.name, handler.tainted.has(p.name)]));
    const env: Env = { handler, fn: handler.fn, module, params, depth: 0, memo: new Map(), calls: [], handlerModule: module };
    this.contexts.set(key, [env]);
    return env;
  }

  /** The calls that may run `fn`, with how each lines up with its parameters. */
  private callSitesOf(module: PythonModule, fn: PyNode): { module: PythonModule; call: PyNode; target: PyCallTarget }[] {
    const name = fn.childForFieldName("name")?.text;
    if (!name) return [];
    const owner = this.classes.ownerOf(module, fn);
    // An instance is built by calling its class (or a subclass that keeps this `__init__`).
    const names = owner && name === "__init__" ? [name, ...[owner, ...this.classes.subclassesOf(owner)].map((c) => c.name)] : [name];
    const out: { module: PythonModule; call: PyNode; target: PyCallTarget }[] = [];
    for (const m of this.candidateModules(module, owner)) {
      if (!names.some((n) => m.text.includes(n))) continue;
      for (const call of this.callsNaming(m, names)) {
        for (const target of this.classes.targetsOf(m, call)) {
          if (target.fn.id === fn.id && target.module === module) out.push({ module: m, call, target });
        }
      }
    }
    return out;
  }

  /**
   * The calls of a module, in the module's order, whose callee's text ends with one of `names`,
   * or that run a callback and mention one. Read from an index of the module's calls by the
   * word their callee ends with, built once: reading each callee's text from the tree for every
   * function asked about cost a sixth of the Python analysis.
   */
  private callsNaming(m: PythonModule, names: readonly string[]): PyNode[] {
    if (!names.every((n) => /^\w+$/.test(n))) {
      // A name with characters outside \w (a Unicode identifier): test every call's text.
      return m.nodesOf("call").filter((call) => {
        const callee = calleeOf(call);
        return !!callee && names.some((n) => callee.text.endsWith(n) || (RUNS_CALLBACK.test(callee.text) && call.text.includes(n)));
      });
    }
    let index = this.callIndex.get(m);
    if (!index) {
      index = { byTail: new Map(), runners: [] };
      m.nodesOf("call").forEach((call, at) => {
        const callee = calleeOf(call);
        if (!callee) return;
        const text = callee.text;
        // A name of word characters ends the callee's text exactly when it ends the last run of them.
        const tail = /\w*$/.exec(text)![0];
        const list = index!.byTail.get(tail);
        if (list) list.push({ call, at });
        else index!.byTail.set(tail, [{ call, at }]);
        if (RUNS_CALLBACK.test(text)) index!.runners.push({ call, at });
      });
      this.callIndex.set(m, index);
    }
    const found = new Map<number, PyNode>();
    for (const [tail, calls] of index.byTail) if (names.some((n) => tail.endsWith(n))) for (const c of calls) found.set(c.at, c.call);
    for (const c of index.runners) if (!found.has(c.at) && names.some((n) => c.call.text.includes(n))) found.set(c.at, c.call);
    return [...found].sort((a, b) => a[0] - b[0]).map(([, call]) => call);
  }

  /** Modules that may call a function: its own and its importers, and for a method those of the classes its object may be seen as. */
  private candidateModules(module: PythonModule, owner: PyClass | undefined): PythonModule[] {
    const out = [module, ...this.project.importersOf(module.path)];
    if (!owner) return out;
    const related = [...this.classes.mro(owner)];
    for (const sub of this.classes.subclassesOf(owner)) related.push(...this.classes.mro(sub));
    for (const c of related) for (const m of [c.module, ...this.project.importersOf(c.module.path)]) if (!out.includes(m)) out.push(m);
    return out;
  }

  /** Binds a function's parameters to the taint of a call's arguments, `*args` and `**kwargs` included. */
  private bind(env: Env, target: PyCallTarget, call: PyNode): Map<string, boolean> {
    const args = argumentsFor(target, call);
    const all = this.params(target.fn);
    const params = target.boundSelf ? all.slice(1) : all;
    const named = new Set(params.map((p) => p.name));
    const listSplat = () => args.listSplats.some((a) => this.eval(env, a));
    const dictSplat = () => args.dictSplats.some((a) => this.eval(env, a));
    const out = new Map<string, boolean>();
    if (target.boundSelf && all[0]) out.set(all[0].name, false);
    params.forEach((p, i) => {
      if (p.node.type === "list_splat_pattern") {
        out.set(p.name, args.positional.slice(i).some((a) => this.eval(env, a)) || listSplat());
      } else if (p.node.type === "dictionary_splat_pattern") {
        out.set(p.name, [...args.keywords].some(([k, v]) => !named.has(k) && this.eval(env, v)) || dictSplat());
      } else {
        const arg = args.keywords.get(p.name) ?? args.positional[i];
        out.set(p.name, arg ? this.eval(env, arg) : (i >= args.positional.length && listSplat()) || dictSplat());
      }
    });
    return out;
  }

  private eval(env: Env, node: PyNode): boolean {
    const key = node.id * 8 + KIND_INDEX[this.kind];
    const memo = env.memo.get(key);
    if (memo !== undefined) return memo;
    env.memo.set(key, false);
    const value = this.compute(env, node);
    env.memo.set(key, value);
    return value;
  }

  private compute(env: Env, node: PyNode): boolean {
    // A URL whose scheme and host are literal (`f"{API}/items/{id}"`) only lets input choose the path.
    if (this.kind === "url" && (node.type === "string" || node.type === "binary_operator" || node.type === "call") && (hostIsFixed(env.module, node) || this.baseIsFixed(env, node))) return false;
    switch (node.type) {
      case "identifier":
        return this.evalName(env, node);
      case "string":
        return node.namedChildren.some((c) => c?.type === "interpolation" && this.eval(env, c.namedChildren[0]!));
      case "attribute": {
        if (this.isSafeField(env, node)) return false;
        const object = node.childForFieldName("object")!;
        // `self.attr` is what the object stores, unless the object itself is the input (`self` of an http.server handler).
        const cls = object.type === "identifier" && env.params.get(object.text) !== true ? this.classes.selfClass(env.module, object) : undefined;
        return cls ? this.evalField(env, cls, node) : this.eval(env, object);
      }
      case "subscript":
        return this.eval(env, node.childForFieldName("value")!);
      case "call":
        return this.evalCall(env, node);
      case "conditional_expression": {
        const [whenTrue, , whenFalse] = node.namedChildren;
        return (!!whenTrue && this.eval(env, whenTrue)) || (!!whenFalse && this.eval(env, whenFalse));
      }
      case "comparison_operator":
      case "not_operator":
      case "lambda":
      case "integer":
      case "float":
      case "true":
      case "false":
      case "none":
        return false;
      case "list_comprehension":
      case "set_comprehension":
      case "generator_expression":
        return this.eval(env, node.childForFieldName("body")!);
      case "dictionary_comprehension":
        return this.eval(env, node.childForFieldName("body")!);
      case "keyword_argument":
        return this.eval(env, node.childForFieldName("value")!);
      default:
        // Containers, operators (+, %, / on paths), concatenation, await, parentheses, splats.
        return node.namedChildren.some((c) => !!c && c.type !== "comment" && this.eval(env, c));
    }
  }

  /** `f"{self.base_url}/items/{id}"`: a base that tool input does not reach, then a path: input chooses only the path. */
  private baseIsFixed(env: Env, url: PyNode): boolean {
    if (url.type === "call") return false;
    const pieces = stringPieces(env.module, unwrapPy(url), false);
    const [first, second] = pieces ?? [];
    return !!first && "expr" in first && !!second && "literal" in second && /^[/?#]/.test(second.literal) && !this.eval(env, first.node);
  }

  private evalCall(env: Env, call: PyNode): boolean {
    const callee = calleeOf(call)!;
    const args = callArgs(call);
    const anyArg = () => [...args.positional, ...args.keywords.values(), ...args.listSplats, ...args.dictSplats].some((a) => this.eval(env, a));
    const qualified = env.module.qualifiedName(callee);
    if (qualified && (CLEANSING.has(qualified) || KIND_SANITIZERS[this.kind].has(qualified))) return false;
    if (this.kind === "traversal" && qualified && NORMALIZING.has(qualified)) return false;
    // Entries of a directory listing are named by the filesystem: a tool-chosen directory is the listing's finding, not each entry's.
    if ((this.kind === "path" || this.kind === "traversal") && qualified && ENUMERATING.has(qualified)) return false;
    if ((this.kind === "path" || this.kind === "traversal") && qualified === "os.path.join" && this.joinsListedEntry(env, call)) return false;
    const targets = this.classes.targetsOf(env.module, call);
    // An instance of a class of the project carries what it was built from.
    if (targets.some((t) => t.constructs)) return anyArg();
    // `safe = validate_path(p)`: what a path validator of the project returns has passed its checks.
    if ((this.kind === "path" || this.kind === "traversal") && targets.length > 0 && targets.every((t) => pathValidator(t.fn))) return false;
    // `url = validate_url(url)`: likewise for a URL validator (it raises, and compares the parsed host).
    if (this.kind === "url" && targets.length > 0 && targets.every((t) => this.urlValidator(t.module, t.fn))) return false;
    if (targets.length > 0) return targets.some((t) => this.evalReturn(env, t, call));
    if (callee.type === "attribute") {
      const method = callee.childForFieldName("attribute")!.text;
      const receiver = callee.childForFieldName("object")!;
      if (QUESTION_METHODS.has(method)) return false;
      if ((this.kind === "path" || this.kind === "traversal") && ENUMERATING_METHODS.has(method)) return false;
      if (this.kind === "traversal" && NORMALIZING_METHODS.has(method)) return false;
      // A module function (`os.path.join`, `json.dumps`): the result carries its arguments.
      if (receiver.type === "identifier" && env.module.imports.has(receiver.text) && !this.isLocalName(env, receiver)) return anyArg();
      if (method === "get" || method === "pop" || method === "setdefault") return this.eval(env, receiver);
      return this.eval(env, receiver) || anyArg();
    }
    return anyArg();
  }

  /** `os.path.join(d, name)` for a `name` of `os.listdir(d)`: an entry of the listing, named by the filesystem. */
  private joinsListedEntry(env: Env, call: PyNode): boolean {
    const args = callArgs(call).positional;
    const [dir, entry] = args;
    if (args.length !== 2 || !dir || entry?.type !== "identifier") return false;
    const listing = (node: PyNode | undefined, hops = 0): PyNode | undefined => {
      const n = node ? unwrapPy(node) : undefined;
      if (n?.type === "call" && /^os\.(?:listdir|scandir)$/.test(env.module.qualifiedName(n.childForFieldName("function")!) ?? "")) return callArgs(n).positional[0];
      if (n?.type === "call" && n.childForFieldName("function")?.text === "sorted") return listing(callArgs(n).positional[0], hops);
      if (n?.type === "identifier" && hops < 2) {
        const values = this.reaching(env, n.text, n);
        return values?.length === 1 && values[0] !== "param" ? listing(values[0], hops + 1) : undefined;
      }
      return undefined;
    };
    const values = this.reaching(env, entry.text, entry);
    const listed = values?.length === 1 && values[0] !== "param" ? listing(values[0]) : undefined;
    return !!listed && listed.text === dir.text;
  }

  /** A helper's result: its return values with the parameters bound to the call's arguments. */
  private evalReturn(env: Env, target: PyCallTarget, call: PyNode): boolean {
    const fn = target.fn;
    if (env.depth >= MAX_CALL_DEPTH || this.active.has(-fn.id)) return false;
    const params = this.bind(env, target, call);
    const stateful = this.readsState(target.module, fn);
    if (![...params.values()].some(Boolean) && !stateful) return false;
    const receiver = receiverOf(env, call, target);
    const key = `${fn.id}:${this.kind}:${env.depth}:${[...params.values()].map(Number).join("")}:${receiver ? `${receiver.node.id}:${this.eval(receiver.env, receiver.node)}` : ""}`;
    const known = this.returnMemo.get(key);
    if (known !== undefined) return known;
    this.active.add(-fn.id);
    let value = false;
    try {
      const inner: Env = { handler: env.handler, fn, module: target.module, params, depth: env.depth + 1, memo: new Map(), calls: env.calls, handlerModule: env.handlerModule, receiver };
      for (const ret of nodesWithin(fn, "return_statement", "yield")) {
        if (!ret || !belongsTo(ret, fn)) continue;
        const v = ret.namedChildren[0];
        if (v && this.eval(inner, v)) {
          value = true;
          break;
        }
      }
    } finally {
      this.active.delete(-fn.id);
    }
    if (this.active.size === 0 && this.fieldsActive.size === 0) this.returnMemo.set(key, value);
    return value;
  }

  /** A method that reads attributes of its instance (`self.base_dir`): its result may carry stored input even when its arguments do not. */
  private readsState(module: PythonModule, fn: PyNode): boolean {
    const owner = this.classes.ownerOf(module, fn);
    const self = owner ? this.params(fn)[0]?.name : undefined;
    return !!self && (fn.childForFieldName("body")?.text.includes(`${self}.`) ?? false);
  }

  /**
   * `self.attr` in a method of `cls`. Tainted when a method of the object's classes stored tool
   * input there in a context that reaches it (the constructor called from a handler, a setter,
   * the handler method itself), or, for a declared field of a dataclass or model, when the
   * object it was called on was built from tool input.
   */
  private evalField(env: Env, cls: PyClass, attribute: PyNode): boolean {
    const attr = attribute.childForFieldName("attribute")!.text;
    const assignments = this.classes.attributeAssignments(cls, attr);
    for (const a of assignments) {
      if (a.fn?.id === env.fn.id && a.value.startIndex < attribute.startIndex && this.eval(env, a.value)) return true;
    }
    const declared = this.classes.declaredType(cls, attr);
    if (declared && isSafeType(declared.text, this.enumsOf(cls.module))) return false;
    if (declared && env.receiver && this.eval(env.receiver.env, env.receiver.node)) return true;
    const stored = assignments.filter((a) => a.fn && a.fn.id !== env.fn.id);
    if (stored.length === 0) return false;
    const key = `${cls.node.id}:${attr}:${this.kind}`;
    const memo = this.fieldMemo.get(key);
    if (memo !== undefined) return memo;
    if (this.fieldsActive.has(key)) return false;
    this.fieldsActive.add(key);
    let value = false;
    try {
      value = stored.some((a) => this.contextsFor(a.module, a.value, 0).some((ctx) => this.eval(ctx, a.value)));
    } finally {
      this.fieldsActive.delete(key);
    }
    if (this.fieldsActive.size === 0 && this.active.size === 0) this.fieldMemo.set(key, value);
    return value;
  }

  /**
   * Where a call hands an argument on, unchanged, to a sink inside a function of this project:
   * `run_command(cmd)` whose parameter becomes `subprocess.run(cmd_list)`, `db.query(sql)` whose
   * parameter becomes `cursor.execute(sql)`, through up to three such functions. `sinkArgument`
   * names the argument of a call that is a sink. Returns the caller's arguments.
   */
  forwardedArguments(module: PythonModule, call: PyNode, sinkArgument: SinkArgument): { argument: PyNode; sink: PyNode; sinkModule: PythonModule }[] {
    const out: { argument: PyNode; sink: PyNode; sinkModule: PythonModule }[] = [];
    // Rules judge what a call hands on by the tool input in it: without an MCP server there is none
    // (nor in a unit no tool input reaches, see `planUnits`), and following calls would parse their modules for nothing.
    if (!this.project.hasMcpServer) return out;
    // A call without arguments hands nothing on, whatever it runs: rules ask this of every call.
    const given = callArgs(call);
    if (given.positional.length === 0 && given.keywords.size === 0) return out;
    for (const target of this.classes.targetsOf(module, call)) {
      if (target.constructs) continue;
      const args = argumentsFor(target, call);
      const all = this.params(target.fn);
      const params = target.boundSelf ? all.slice(1) : all;
      for (const [param, sink] of this.sinkParams(target.module, target.fn, sinkArgument, 0)) {
        const i = params.findIndex((p) => p.name === param);
        if (i < 0 || params[i]!.node.type.includes("splat")) continue;
        const argument = args.keywords.get(param) ?? args.positional[i];
        if (argument && !out.some((o) => o.argument.id === argument.id)) out.push({ argument, sink: sink.call, sinkModule: sink.module });
      }
    }
    return out;
  }

  /** Parameters of `fn` that reach, as themselves, the argument a sink call reads. */
  private sinkParams(module: PythonModule, fn: PyNode, sinkArgument: SinkArgument, depth: number): Map<string, { module: PythonModule; call: PyNode }> {
    let cache = this.sinkCache.get(sinkArgument);
    if (!cache) this.sinkCache.set(sinkArgument, (cache = new Map()));
    const cached = cache.get(fn.id);
    if (cached) return cached;
    const out = new Map<string, { module: PythonModule; call: PyNode }>();
    if (depth >= MAX_CALL_DEPTH || this.forwarding.has(fn.id) || this.params(fn).length === 0) return out;
    const aliasOf = (node: PyNode | undefined) => (node ? this.parameterAt(node, fn) : undefined);
    this.forwarding.add(fn.id);
    try {
      for (const call of this.callsIn(fn)) {
        const direct = aliasOf(sinkArgument(module, call));
        if (direct && !out.has(direct)) out.set(direct, { module, call });
        if (callArgs(call).positional.length + callArgs(call).keywords.size === 0) continue;
        for (const target of this.classes.targetsOf(module, call)) {
          if (target.constructs) continue;
          const args = argumentsFor(target, call);
          const inner = this.sinkParams(target.module, target.fn, sinkArgument, depth + 1);
          if (inner.size === 0) continue;
          const all = this.params(target.fn);
          const params = target.boundSelf ? all.slice(1) : all;
          for (const [param, sink] of inner) {
            const i = params.findIndex((p) => p.name === param);
            const name = i < 0 ? undefined : aliasOf(args.keywords.get(param) ?? args.positional[i]);
            if (name && !out.has(name)) out.set(name, sink);
          }
        }
      }
    } finally {
      this.forwarding.delete(fn.id);
    }
    // A summary computed inside another one may miss what the cycle hid: keep only complete ones.
    if (this.forwarding.size === 0) cache.set(fn.id, out);
    return out;
  }

  /** The calls a function makes itself (not those of functions nested in it). */
  private callsIn(fn: PyNode): PyNode[] {
    let calls = this.callCache.get(fn.id);
    if (!calls) this.callCache.set(fn.id, (calls = nodesWithin(fn, "call").filter((c) => belongsTo(c, fn))));
    return calls;
  }

  /** The parameter of `fn` (the function around `node` by default) whose incoming value `node` is, through plain copies (`cmd_list = cmd`). */
  private parameterAt(node: PyNode, fn?: PyNode, hops = 0): string | undefined {
    const n = unwrapPy(node);
    const scope = fn ?? enclosingFunction(n);
    if (n.type !== "identifier" || !scope || hops > 3) return undefined;
    const values = this.reaching({ fn: scope } as Env, n.text, n);
    if (values?.length !== 1) return undefined;
    if (values[0] === "param") return this.params(scope).some((p) => p.name === n.text) ? n.text : undefined;
    return this.parameterAt(values[0]!, scope, hops + 1);
  }

  private readonly paramCache = new Map<number, ReturnType<typeof parametersOf>>();
  private readonly fieldCache = new Map<number, Set<string>>();
  private readonly enumCache = new Map<string, Set<string>>();

  /** `query.limit` where `query` is a model (a parameter typed with it, or `Model(**arguments)`) whose `limit: int`. */
  private isSafeField(env: Env, attribute: PyNode): boolean {
    const object = attribute.childForFieldName("object");
    if (object?.type !== "identifier") return false;
    const attr = attribute.childForFieldName("attribute")!.text;
    return this.classes.typeOf(env.module, object).some((cls) => this.safeFieldsOf(cls).has(attr));
  }

  /** Fields of a model class and its bases typed so that they cannot carry an attack string. */
  private safeFieldsOf(cls: PyClass): Set<string> {
    let fields = this.fieldCache.get(cls.node.id);
    if (fields) return fields;
    this.fieldCache.set(cls.node.id, (fields = new Set()));
    for (const c of this.classes.mro(cls)) for (const f of safeModelFields(c.module, this.enumsOf(c.module)).get(c.name) ?? []) fields.add(f);
    return fields;
  }

  private enumsOf(module: PythonModule): Set<string> {
    let enums = this.enumCache.get(module.path);
    if (!enums) this.enumCache.set(module.path, (enums = enumClasses(module, { project: this.project, classes: this.classes })));
    return enums;
  }

  /** Parameters of a function, read once per function: tree navigation crosses into WebAssembly. */
  private params(fn: PyNode): ReturnType<typeof parametersOf> {
    let list = this.paramCache.get(fn.id);
    if (!list) this.paramCache.set(fn.id, (list = parametersOf(fn)));
    return list;
  }

  private isLocalName(env: Env, ident: PyNode): boolean {
    return env.params.has(ident.text);
  }

  private evalName(env: Env, use: PyNode): boolean {
    const name = use.text;
    const values = this.reaching(env, name, use);
    if (values === undefined) return false;
    if (!values.some((v) => (v === "param" ? env.params.get(name) === true && !this.patternStops(env, name) : this.eval(env, v)))) return false;
    return !this.guarded(env, name, use);
  }

  /**
   * The values a name may hold at a use: the last plain assignment before it in the enclosing
   * blocks, plus conditional and augmented assignments in between. "param" when the value comes
   * from the parameter of the context's function. Undefined for names of other scopes.
   */
  private reaching(env: Env, name: string, use: PyNode): (PyNode | "param")[] | undefined {
    const out: (PyNode | "param")[] = [];
    let cur = use;
    for (let parent = use.parent; parent; cur = parent, parent = parent.parent) {
      if (COMPREHENSIONS.has(parent.type)) {
        for (const clause of parent.namedChildren) {
          if (clause?.type === "for_in_clause" && bindsName(clause.childForFieldName("left"), name)) return [...out, clause.childForFieldName("right")!];
        }
        continue;
      }
      if (parent.type === "for_statement" && cur.type === "block" && bindsName(parent.childForFieldName("left"), name)) return [...out, parent.childForFieldName("right")!];
      if (parent.type === "with_statement" && cur.type === "block") {
        const bound = bindingsIn(parent.childForFieldName("with_clause") ?? parent.namedChildren[0]!, name);
        if (bound.length > 0) return [...out, ...bound];
      }
      if (parent.type === "block" || parent.type === "module") {
        for (let sibling = cur.previousNamedSibling; sibling; sibling = sibling.previousNamedSibling) {
          const kill = definiteAssignment(sibling, name);
          if (kill) return [...out, kill];
          out.push(...bindingsIn(sibling, name));
        }
        if (parent.type === "module") return out.length > 0 ? out : undefined;
        continue;
      }
      if (FUNCTION_SCOPES.has(parent.type)) {
        if (this.params(parent).some((p) => p.name === name)) {
          return parent.id === env.fn.id ? [...out, "param"] : out;
        }
        if (parent.id === env.fn.id) return out;
        // A closure: keep looking in the enclosing function.
      }
    }
    return out;
  }

  /** True when a check on the path from the function to `use` leaves only safe values for `name`. */
  private guarded(env: Env, name: string, use: PyNode): boolean {
    let cur = use;
    for (let parent = use.parent; parent; cur = parent, parent = parent.parent) {
      if ((parent.type === "if_statement" || parent.type === "elif_clause") && cur.id === parent.childForFieldName("consequence")?.id) {
        if (this.positive(env, parent.childForFieldName("condition")!, name)) return true;
      }
      if (parent.type === "else_clause" && parent.parent?.type === "if_statement") {
        if (this.negative(env, parent.parent.childForFieldName("condition")!, name)) return true;
      }
      if (parent.type === "conditional_expression" && parent.namedChildren[0]?.id === cur.id) {
        if (this.positive(env, parent.namedChildren[1]!, name)) return true;
      }
      if (parent.type === "block" || parent.type === "module") {
        for (let s = cur.previousNamedSibling; s; s = s.previousNamedSibling) {
          if (this.statementGuards(env, s, name)) return true;
          if (definiteAssignment(s, name)) break;
        }
      }
      if (parent.id === env.fn.id) return false;
    }
    return false;
  }

  /** A statement after which only safe values of `name` go on: `if unsafe: raise`, `assert safe`, a check call, such checks inside a `try` whose handlers exit. */
  private statementGuards(env: Env, s: PyNode, name: string): boolean {
    if (s.type === "if_statement" && this.negative(env, s.childForFieldName("condition")!, name) && exits(s.childForFieldName("consequence"))) return true;
    if (s.type === "assert_statement" && s.namedChildren[0] && this.positive(env, s.namedChildren[0], name)) return true;
    if ((s.type === "expression_statement" || s.type === "try_statement") && this.checkStatement(env, s, name)) return true;
    if (s.type === "try_statement" && handlersExit(s)) {
      for (const inner of [...(s.childForFieldName("body")?.namedChildren ?? [])].reverse()) {
        if (inner && this.statementGuards(env, inner, name)) return true;
        if (inner && definiteAssignment(inner, name)) break;
      }
    }
    return false;
  }

  /**
   * A statement that raises unless `name` is safe: `target.relative_to(ROOT)` on a resolved path
   * (alone or in a `try` whose handler exits), or a call like `check_allowed(name)` to a helper of
   * this project that raises after checking its parameter the way this sink needs.
   */
  private checkStatement(env: Env, stmt: PyNode, name: string): boolean {
    const calls = stmt.type === "try_statement" ? (stmt.childForFieldName("body")?.namedChildren ?? []) : [stmt];
    if (stmt.type === "try_statement" && !stmt.namedChildren.some((c) => c?.type === "except_clause" && exits(c.namedChildren.filter((n) => n?.type === "block").pop() ?? null))) return false;
    for (const st of calls) {
      const call = st?.type === "expression_statement" ? unwrapPy(st.namedChildren[0]!) : undefined;
      if (call?.type !== "call") continue;
      const callee = calleeOf(call)!;
      if (this.kind === "path" && callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "relative_to") {
        const receiver = callee.childForFieldName("object")!;
        if (this.subjects(env, receiver).includes(name) && (/\.resolve\(|realpath\(/.test(receiver.text) || (receiver.type === "identifier" && this.resolvedName(env, receiver)))) return true;
      }
      const args = callArgs(call);
      const index = args.positional.findIndex((a) => unwrapPy(a).type === "identifier" && unwrapPy(a).text === name);
      if (index < 0) continue;
      const target = this.project.resolveFunction(env.module, callee);
      if (target && validates(target.fn, index, this.kind)) return true;
      if (this.kind === "url" && this.classes.targetsOf(env.module, call).some((t) => this.urlValidator(t.module, t.fn))) return true;
    }
    return false;
  }

  /** The condition holds only when `name` is safe. */
  private positive(env: Env, cond: PyNode, name: string): boolean {
    const c = unwrapPy(cond);
    if (c.type === "not_operator") return this.negative(env, c.childForFieldName("argument")!, name);
    if (c.type === "boolean_operator") {
      const op = c.childForFieldName("operator")?.type;
      const [l, r] = [c.childForFieldName("left")!, c.childForFieldName("right")!];
      return op === "and" ? this.positive(env, l, name) || this.positive(env, r, name) : this.positive(env, l, name) && this.positive(env, r, name);
    }
    if (c.type === "comparison_operator") return this.comparison(env, c, name, ["in", "=="]);
    if (c.type === "call") {
      // `any(p.is_relative_to(d) for d in ALLOWED_DIRS)`
      const fn = c.childForFieldName("function")!.text;
      const arg = callArgs(c).positional[0];
      if ((fn === "any" || fn === "all") && arg && COMPREHENSIONS.has(arg.type)) return this.positive(env, arg.childForFieldName("body")!, name);
      return this.guardCall(env, c, name);
    }
    return false;
  }

  /** The condition holds whenever `name` may be unsafe (the body of `if cond: raise` is the rejection). */
  private negative(env: Env, cond: PyNode, name: string): boolean {
    const c = unwrapPy(cond);
    if (c.type === "not_operator") return this.positive(env, c.childForFieldName("argument")!, name);
    if (c.type === "boolean_operator") {
      const op = c.childForFieldName("operator")?.type;
      const [l, r] = [c.childForFieldName("left")!, c.childForFieldName("right")!];
      if (op === "or" && this.kind === "path" && rejectsUnsafeComponent(c, name, env.module)) return true;
      if (op === "or") return this.negative(env, l, name) || this.negative(env, r, name);
      // `if value and value.startswith("-"): raise`: what passes is an empty value, or a safe one.
      const truthy = (n: PyNode) => unwrapPy(n).type === "identifier" && unwrapPy(n).text === name;
      return (this.negative(env, l, name) || truthy(l)) && (this.negative(env, r, name) || truthy(r)) && !(truthy(l) && truthy(r));
    }
    if (c.type === "comparison_operator") {
      // `if error is not None: return`, where `error = validate(name)`
      const [l, r] = c.namedChildren;
      const op = c.children.filter((n) => !!n && !n.isNamed).map((n) => n!.type).join(" ");
      if ((op === "is not" || op === "!=") && r?.type === "none" && l && this.validatorResult(env, l, name)) return true;
      return this.comparison(env, c, name, ["not in", "!="]);
    }
    // `if error: return`, `if validate(name): raise`
    if (this.validatorResult(env, c, name)) return true;
    // `if ipaddress.ip_address(socket.gethostbyname(urlparse(url).hostname)).is_private: raise`
    if (this.kind === "url" && c.type === "attribute" && /^(?:is_private|is_loopback|is_link_local|is_reserved|is_multicast|is_unspecified)$/.test(c.childForFieldName("attribute")!.text)) {
      return c.descendantsOfType("identifier").some((i) => i?.text === name) || this.hostSubjects(env, c).includes(name);
    }
    // `if value.startswith("-"): raise`: an option-looking argument is rejected.
    if (this.kind === "argument" && c.type === "call") {
      const callee = c.childForFieldName("function")!;
      const prefix = callArgs(c).positional[0];
      const p = prefix ? unwrapPy(prefix) : undefined;
      const dash = !!p && (constantString(p, env.module) === "-" || (p.type === "tuple" && p.namedChildren.some((e) => !!e && constantString(e, env.module) === "-")));
      return callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "startswith" && dash && this.subjects(env, callee.childForFieldName("object")!).includes(name);
    }
    return false;
  }

  private comparison(env: Env, c: PyNode, name: string, ops: readonly string[]): boolean {
    const operands = c.namedChildren.filter((n): n is PyNode => !!n);
    if (operands.length !== 2) return false;
    const op = c.children.filter((n): n is PyNode => !!n && !n.isNamed).map((n) => n.type).join(" ");
    if (!ops.includes(op)) return false;
    const [left, right] = operands as [PyNode, PyNode];
    if (op === "in" || op === "not in") return !this.eval(env, right) && this.subjects(env, left).includes(name);
    // `os.path.commonpath([base, p]) == base`
    for (const [a, b] of this.kind === "path" ? ([[left, right], [right, left]] as const) : []) {
      if (a.type === "call" && /commonpath$/.test(a.childForFieldName("function")!.text)) {
        // Only a resolved path is contained: `commonpath([base, base + "/../x"])` is `base`.
        const mentions = a.descendantsOfType("identifier").filter((i): i is PyNode => i?.text === name);
        const resolved = /\.resolve\(|realpath\(/.test(a.text) || mentions.some((i) => this.resolvedName(env, i));
        return !this.eval(env, b) && mentions.length > 0 && resolved;
      }
    }
    // Equal to a constant, or to any value that is not tool input (`resolved == ROOT.resolve()`).
    const equality = op === "==" || op === "!=";
    const isConstant = (n: PyNode) => constantString(n, env.module) !== undefined || n.type === "integer" || n.type === "none" || (equality && n.text !== name && !this.eval(env, n));
    return (isConstant(right) && this.subjects(env, left).includes(name)) || (isConstant(left) && this.subjects(env, right).includes(name));
  }

  private guardCall(env: Env, call: PyNode, name: string): boolean {
    const callee = calleeOf(call)!;
    const args = callArgs(call);
    const qualified = env.module.qualifiedName(callee) ?? "";
    if (this.predicateHolds(env, call, name)) return true;
    if (qualified === "re.fullmatch" || qualified === "re.match") {
      const pattern = args.positional[0] ? constantString(args.positional[0], env.module) : undefined;
      const subject = args.positional[1];
      return !!subject && this.subjects(env, subject).includes(name) && (qualified === "re.fullmatch" || isAnchored(pattern)) && this.regexFitsKind(pattern);
    }
    if (callee.type !== "attribute") return false;
    const method = callee.childForFieldName("attribute")!.text;
    const receiver = callee.childForFieldName("object")!;
    if (method === "fullmatch" || method === "match") {
      const subject = args.positional[0];
      if (!subject || !this.subjects(env, subject).includes(name)) return false;
      if (!this.regexFitsKind(compiledPattern(env.module, receiver))) return false;
      if (method === "fullmatch") return true;
      const compiled = receiver.type === "identifier" ? env.module.functions.get(receiver.text) : undefined;
      return !compiled && isAnchored(compiledPattern(env.module, receiver));
    }
    if (STRING_GUARD_METHODS.has(method)) return this.subjects(env, receiver).includes(name);
    if (method === "startswith" && this.kind === "url") {
      // `url.startswith("https://api.example.com/")`: the host is fixed when the prefix ends after it with a slash.
      const prefix = args.positional[0] ? constantString(args.positional[0], env.module) : undefined;
      return !!prefix && /^https?:\/\/[^/]+\//i.test(prefix) && this.subjects(env, receiver).includes(name);
    }
    if (this.kind !== "path") return false;
    if (method === "startswith") {
      // `str(p).startswith(str(ROOT) + os.sep)`: a prefix check with a separator, on a resolved path.
      const prefix = args.positional[0];
      if (!prefix || !/os\.sep|["']\/["']|\/["']\s*$/.test(prefix.text) || !this.subjects(env, receiver).includes(name)) return false;
      return /\.resolve\(|realpath\(/.test(receiver.text) || this.subjects(env, receiver).some((n) => this.resolvedByName(env, receiver, n));
    }
    if (method === "is_relative_to") {
      // Only a resolved path is contained: `(base / "../x").is_relative_to(base)` is True.
      if (!this.subjects(env, receiver).includes(name)) return false;
      return /\.resolve\(|realpath\(/.test(receiver.text) || (receiver.type === "identifier" && this.resolvedName(env, receiver));
    }
    return false;
  }

  /**
   * `is_contained(path)` where a function of the project returns a check that holds only for a safe
   * value of its parameter: every `return` gives a falsy constant, a sound check of the parameter,
   * or `True` after one (`p.relative_to(ROOT); return True`). The check counts as if written here.
   */
  private predicateHolds(env: Env, call: PyNode, name: string): boolean {
    return this.helperChecks(env, call, name, (inner, param, ret) => {
      const value = ret.namedChildren[0];
      if (!value || FALSY.has(value.type) || (value.type === "string" && constantString(value) === "")) return true;
      if (value.type === "true") return this.guarded(inner, param, ret);
      return this.positive(inner, value, param);
    });
  }

  /**
   * `error = validate(path); if error: return ...`: a function of the project that returns nothing (None)
   * only after checking its parameter the way this sink needs, and an error message otherwise.
   */
  private validatorHolds(env: Env, call: PyNode, name: string): boolean {
    let failures = 0;
    const holds = this.helperChecks(env, call, name, (inner, param, ret) => {
      const value = ret.namedChildren[0];
      if (value && value.type !== "none") {
        failures++;
        return true;
      }
      return this.guarded(inner, param, ret);
    });
    return holds && failures > 0;
  }

  /** Runs `check` on every `return` of the functions `call` may run, with the parameter `name`'s argument binds. */
  private helperChecks(env: Env, call: PyNode, name: string, check: (inner: Env, param: string, ret: PyNode) => boolean): boolean {
    const args = callArgs(call);
    const checks = (a: PyNode | undefined) => !!a && this.subjects(env, a).includes(name);
    if (![...args.positional, ...args.keywords.values()].some(checks) || env.depth >= MAX_CALL_DEPTH) return false;
    const targets = this.classes.targetsOf(env.module, call).filter((t) => !t.constructs);
    if (targets.length === 0) return false;
    return targets.every((target) => {
      if (this.active.has(-target.fn.id)) return false;
      const all = this.params(target.fn);
      const params = target.boundSelf ? all.slice(1) : all;
      const index = args.positional.findIndex(checks);
      const param = index >= 0 ? params[index]?.name : [...args.keywords].find(([, v]) => checks(v))?.[0];
      if (!param) return false;
      const returns = nodesWithin(target.fn, "return_statement").filter((r) => belongsTo(r, target.fn));
      if (returns.length === 0 || !endsInReturn(target.fn)) return false;
      // Which parameters arrive resolved (`helper(path.resolve())`): a check on them needs no `resolve()` of its own.
      const resolved = new Set(params.filter((p, i) => {
        const a = args.keywords.get(p.name) ?? args.positional[i];
        return !!a && (/\.resolve\(|realpath\(/.test(a.text) || (unwrapPy(a).type === "identifier" && this.resolvedName(env, unwrapPy(a))));
      }).map((p) => p.name));
      const inner: Env = { handler: env.handler, fn: target.fn, module: target.module, params: new Map(), depth: env.depth + 1, memo: new Map(), calls: env.calls, handlerModule: env.handlerModule, resolved };
      this.active.add(-target.fn.id);
      try {
        return returns.every((r) => check(inner, param, r));
      } finally {
        this.active.delete(-target.fn.id);
      }
    });
  }

  /**
   * A function that raises unless a URL passes a check of its parsed host or scheme, made by itself
   * or by a function it calls (`validate_urls(url)` → `validator.is_url_allowed(url)` comparing
   * `urlparse(url).hostname` with allowed origins).
   */
  private urlValidator(module: PythonModule, fn: PyNode): boolean {
    const key = fn.id;
    const known = this.urlValidators.get(key);
    if (known !== undefined) return known;
    this.urlValidators.set(key, false);
    const value = /\braise\b/.test(fn.childForFieldName("body")?.text ?? "") && this.comparesHost(module, fn, 0);
    this.urlValidators.set(key, value);
    return value;
  }

  private comparesHost(module: PythonModule, fn: PyNode, depth: number): boolean {
    const body = fn.childForFieldName("body")?.text ?? "";
    if (/urlparse|urlsplit|\bURL\(/.test(body) && /hostname|netloc|\.host\b/.test(body) && /\bnot in\b|\bin\b|==|!=|startswith|endswith|is_private|is_loopback/.test(body)) return true;
    if (depth >= MAX_CALL_DEPTH) return false;
    return this.callsIn(fn).some((call) => this.classes.targetsOf(module, call).some((t) => !t.constructs && t.fn.id !== fn.id && this.comparesHost(t.module, t.fn, depth + 1)));
  }

  /** `validate(name)`, or a name assigned from it, where `validate` is an error-returning validator. */
  private validatorResult(env: Env, expr: PyNode, name: string): boolean {
    const e = unwrapPy(expr);
    const call = e.type === "call" ? e : e.type === "identifier" ? this.assignedValue(env, e) : undefined;
    return !!call && unwrapPy(call).type === "call" && this.validatorHolds(env, unwrapPy(call), name);
  }

  /** Names whose host an address check covers: `ip = ip_address(gethostbyname(host))` then `ip.is_private`, `host = urlparse(url).hostname`. */
  private hostSubjects(env: Env, expr: PyNode, depth = 0): string[] {
    if (depth > 3) return [];
    const out: string[] = [];
    for (const ident of expr.descendantsOfType("identifier")) {
      if (!ident || ident.parent?.type === "attribute" && ident.parent.childForFieldName("attribute")?.id === ident.id) continue;
      const value = this.assignedValue(env, ident);
      if (value) for (const inner of value.descendantsOfType("identifier")) if (inner) out.push(inner.text, ...this.hostSubjects(env, value, depth + 1));
    }
    return out;
  }

  /** A handler parameter declared with an anchored pattern that the current sink cannot be attacked through. */
  private patternStops(env: Env, name: string): boolean {
    const pattern = env.fn.id === env.handler.fn.id ? env.handler.patterns?.get(name) : undefined;
    return pattern !== undefined && patternSafeFor(pattern, this.kind);
  }

  /** For an argv element, a pattern whose first character may be `-` still lets an option through. */
  private regexFitsKind(pattern: string | undefined): boolean {
    if (this.kind !== "argument" || pattern === undefined) return true;
    const first = /^\^?(\[[^\]]*\]|\\.|.)/.exec(pattern)?.[1] ?? "";
    if (!first.startsWith("[")) return first !== "-" && first !== ".";
    if (first.startsWith("[^")) return true;
    // A dash in a class is literal at its start or end, or escaped; elsewhere it is a range (A-Z).
    const body = first.slice(1, -1);
    return !(body.startsWith("-") || body.endsWith("-") || body.includes("\\-"));
  }

  /** Names a guard expression checks: `x`, `x.lower()`, `urlparse(x).hostname`, and `u` when `parsed = urlparse(u)`. */
  private subjects(env: Env, expr: PyNode, depth = 0): string[] {
    const e = unwrapPy(expr);
    if (e.type === "identifier") {
      const out = [e.text];
      const origin = depth < 3 ? this.assignedValue(env, e) : undefined;
      const callee = origin?.type === "call" ? origin.childForFieldName("function")! : undefined;
      if (origin && callee && URL_PARSERS.test(callee.text)) {
        const arg = callArgs(origin).positional[0];
        if (arg) out.push(...this.subjects(env, arg, depth + 1));
      } else if (origin && callee && (SAME_VALUE.test(env.module.qualifiedName(callee) ?? "") || (callee.type === "attribute" && SAME_VALUE_METHODS.has(callee.childForFieldName("attribute")!.text)))) {
        // `resolved = path.resolve()`, `real = os.path.realpath(p)`, `h = host.lower()`: a check on the copy is a check on the value.
        out.push(...this.subjects(env, origin, depth + 1).filter((n) => n !== e.text));
      }
      return out;
    }
    if (e.type === "attribute") return this.subjects(env, e.childForFieldName("object")!);
    if (e.type === "call") {
      const callee = e.childForFieldName("function")!;
      if (callee.type === "attribute" && SUBJECT_METHODS.has(callee.childForFieldName("attribute")!.text)) return this.subjects(env, callee.childForFieldName("object")!);
      if (URL_PARSERS.test(callee.text) || callee.text === "str") {
        const arg = callArgs(e).positional[0];
        return arg ? this.subjects(env, arg) : [];
      }
      if (callee.type === "attribute" && SAME_VALUE_METHODS.has(callee.childForFieldName("attribute")!.text)) return this.subjects(env, callee.childForFieldName("object")!, depth);
      if (SAME_VALUE.test(env.module.qualifiedName(callee) ?? "")) {
        const arg = callArgs(e).positional[0];
        return arg ? this.subjects(env, arg, depth) : [];
      }
    }
    return [];
  }

  /** The value of the last plain assignment to an identifier before it, in its function. */
  private assignedValue(env: Env, ident: PyNode): PyNode | undefined {
    const values = this.reaching(env, ident.text, ident);
    const last = values?.[values.length - 1];
    return last && last !== "param" ? last : undefined;
  }

  private resolvedByName(env: Env, at: PyNode, name: string): boolean {
    const values = this.reaching(env, name, at);
    const last = values?.[values.length - 1];
    if (last === "param") return env.resolved?.has(name) ?? false;
    return !!last && /\.resolve\(|realpath\(/.test(last.text);
  }

  private resolvedName(env: Env, ident: PyNode): boolean {
    return this.resolvedByName(env, ident, ident.text);
  }
}

/** A call's arguments as the target function receives them: after the function itself for `asyncio.to_thread(fn, ...)`. */
function argumentsFor(target: PyCallTarget, call: PyNode): ReturnType<typeof callArgs> {
  const args = callArgs(call);
  return target.argumentOffset ? { ...args, positional: args.positional.slice(target.argumentOffset) } : args;
}

/** The object a method call runs on, in the caller's context: `runner` of `runner.run(x)`; `self.m()` passes on the caller's own receiver. */
function receiverOf(env: Env, call: PyNode, target: PyCallTarget): Env["receiver"] {
  if (!target.boundSelf || target.constructs || target.argumentOffset) return undefined;
  const callee = unwrapPy(calleeOf(call)!);
  if (callee.type !== "attribute") return undefined;
  const object = unwrapPy(callee.childForFieldName("object")!);
  if (object.type === "identifier" && env.fn && parametersOf(env.fn)[0]?.name === object.text && env.receiver) return env.receiver;
  return { env, node: object };
}

/**
 * `"/" in name or "\\" in name or name.startswith(".")`: a check that holds for every value that
 * is not a single, plain path component — one with a separator of either kind, or `.`/`..` (and
 * hidden names). A value it lets through cannot leave the folder it is joined to.
 */
function rejectsUnsafeComponent(cond: PyNode, name: string, module: PythonModule): boolean {
  const leaves: PyNode[] = [];
  const walk = (n: PyNode) => {
    const e = unwrapPy(n);
    if (e.type === "boolean_operator" && e.childForFieldName("operator")?.type === "or") {
      walk(e.childForFieldName("left")!);
      walk(e.childForFieldName("right")!);
    } else leaves.push(e);
  };
  walk(cond);
  const contains = (leaf: PyNode, text: string) => {
    if (leaf.type !== "comparison_operator" || leaf.namedChildren.length !== 2) return false;
    const op = leaf.children.filter((n): n is PyNode => !!n && !n.isNamed).map((n) => n.type).join(" ");
    const [left, right] = leaf.namedChildren as [PyNode, PyNode];
    return op === "in" && constantString(left, module) === text && unwrapPy(right).text === name;
  };
  const startsWithDot = (leaf: PyNode) => {
    if (leaf.type !== "call") return false;
    const callee = leaf.childForFieldName("function")!;
    const arg = callArgs(leaf).positional[0];
    return callee.type === "attribute" && callee.childForFieldName("attribute")!.text === "startswith" && callee.childForFieldName("object")!.text === name && !!arg && constantString(arg, module) === ".";
  };
  const dotsOut = leaves.some((l) => startsWithDot(l) || contains(l, ".."));
  return leaves.some((l) => contains(l, "/")) && leaves.some((l) => contains(l, "\\")) && dotsOut;
}

function isAnchored(pattern: string | undefined): boolean {
  return !!pattern && /^\^/.test(pattern) && /(?:\$|\\Z)$/.test(pattern) && !/[^\\]\.\*|\|/.test(pattern);
}

/** `re.compile(r"^...$")` assigned at module level to a name, or inline. */
function compiledPattern(module: PythonModule, receiver: PyNode): string | undefined {
  let value: PyNode | undefined = receiver;
  if (receiver.type === "identifier") {
    for (const stmt of module.root.namedChildren) {
      const assign = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
      if (assign?.type === "assignment" && assign.childForFieldName("left")?.text === receiver.text) value = assign.childForFieldName("right") ?? undefined;
    }
  }
  if (value?.type !== "call" || !/(?:^|\.)compile$/.test(value.childForFieldName("function")!.text)) return undefined;
  const first = callArgs(value).positional[0];
  return first ? constantString(first, module) : undefined;
}

const FALSY = new Set(["false", "none"]);

/** Every `except` of a `try` leaves the function (or the loop): a check that raised in its body cannot fall through. */
function handlersExit(tryStmt: PyNode): boolean {
  const handlers = tryStmt.namedChildren.filter((c) => c?.type === "except_clause" || c?.type === "except_group_clause");
  return handlers.every((h) => exits(h!.namedChildren.filter((n) => n?.type === "block").pop() ?? null));
}

/** The function's body ends in a `return` or `raise` (directly, or at the end of each branch of a final `try`/`if`): no implicit `None`. */
function endsInReturn(fn: PyNode): boolean {
  const ends = (block: PyNode | null | undefined): boolean => {
    const last = block?.namedChildren.filter((c) => c?.type !== "comment").pop();
    if (!last) return false;
    if (last.type === "return_statement" || last.type === "raise_statement") return true;
    if (last.type === "try_statement") {
      const handlers = last.namedChildren.filter((c) => c?.type === "except_clause");
      return ends(last.childForFieldName("body")) && handlers.every((h) => ends(h!.namedChildren.filter((n) => n?.type === "block").pop()));
    }
    if (last.type === "if_statement") {
      const alternative = last.childForFieldName("alternative") ?? last.namedChildren.find((c) => c?.type === "else_clause");
      const elseBlock = alternative?.type === "else_clause" ? alternative.childForFieldName("body") : undefined;
      return ends(last.childForFieldName("consequence")) && !!elseBlock && ends(elseBlock);
    }
    return false;
  };
  return ends(fn.childForFieldName("body"));
}

function exits(block: PyNode | null): boolean {
  const last = block?.namedChildren.filter((c) => c?.type !== "comment").pop();
  if (!last) return false;
  if (EXITS.has(last.type)) return true;
  // `sys.exit(...)`, `abort(...)`
  return last.type === "expression_statement" && /^(?:sys\.exit|exit|os\._exit)\(/.test(last.text);
}

/** The function, class or lambda a node's names belong to: comprehensions and generators share their function's. */
const ownScope = nearestAncestor((type) => NESTED_SCOPES.has(type) && type !== "generator_expression" && !COMPREHENSIONS.has(type));

function belongsTo(node: PyNode, fn: PyNode): boolean {
  return ownScope(node)?.id === fn.id;
}

/** True when an assignment target (a name or a tuple/list pattern) binds `name`. */
function bindsName(target: PyNode | null, name: string): boolean {
  if (!target) return false;
  if (target.type === "identifier") return target.text === name;
  if (!/pattern|tuple|list/.test(target.type)) return false;
  return target.namedChildren.some((c) => !!c && bindsName(c.type === "list_splat_pattern" ? c.namedChildren[0] ?? null : c, name));
}

/** `name = value` as a statement of its own: everything before it is overwritten. */
function definiteAssignment(stmt: PyNode, name: string): PyNode | undefined {
  // `try: name = validate(name)` whose handlers all leave: after the `try`, the assignment happened.
  if (stmt.type === "try_statement" && !stmt.namedChildren.some((c) => c?.type === "finally_clause" || c?.type === "else_clause") && handlersExit(stmt)) {
    const body = stmt.childForFieldName("body")?.namedChildren ?? [];
    for (const inner of [...body].reverse()) {
      if (!inner) continue;
      const value = definiteAssignment(inner, name);
      if (value) return value;
      if (bindingsIn(inner, name).length > 0) return undefined;
    }
    return undefined;
  }
  if (stmt.type !== "expression_statement") return undefined;
  const expr = stmt.namedChildren[0];
  if (expr?.type !== "assignment") return undefined;
  const right = expr.childForFieldName("right");
  return right && bindsName(expr.childForFieldName("left"), name) ? right : undefined;
}

/** What `bindingsIn` found, by statement and name: each use of a name looks back over the statements before it. */
const bindingsByName = perNode(() => new Map<string, readonly PyNode[]>());

/** Values a statement may assign to `name`, nested blocks included, nested functions excluded. */
function bindingsIn(stmt: PyNode, name: string): readonly PyNode[] {
  const known = bindingsByName(stmt);
  let found = known.get(name);
  if (!found) known.set(name, (found = findBindings(stmt, name)));
  return found;
}

function findBindings(stmt: PyNode, name: string): PyNode[] {
  if (!stmt.text.includes(name)) return [];
  const out: PyNode[] = [];
  const visit = (n: PyNode) => {
    const type = n.type;
    if (NESTED_SCOPES.has(type)) return;
    if (type === "assignment" || type === "augmented_assignment") {
      const right = n.childForFieldName("right");
      const left = n.childForFieldName("left");
      // `name[key] = value` puts the value in the container.
      const into = left?.type === "subscript" && left.childForFieldName("value")?.text === name;
      if (right && (bindsName(left, name) || into)) out.push(right);
    } else if (type === "call" && isMutation(n, name)) {
      // `args.append(x)`, `args.extend(more)`, `params.update(d)`: the container now holds them.
      for (const a of n.childForFieldName("arguments")?.namedChildren ?? []) if (a && a.type !== "comment") out.push(a);
    } else if (type === "named_expression" && n.childForFieldName("name")?.text === name) {
      out.push(n.childForFieldName("value")!);
    } else if (type === "for_statement" && bindsName(n.childForFieldName("left"), name)) {
      out.push(n.childForFieldName("right")!);
    } else if (type === "as_pattern" && n.childForFieldName("alias")?.text === name) {
      out.push(n.namedChildren[0]!);
    }
    for (const c of n.namedChildren) if (c) visit(c);
  };
  visit(stmt);
  return out;
}

const MUTATORS = new Set(["append", "extend", "insert", "add", "update", "appendleft", "extendleft"]);

function isMutation(call: PyNode, name: string): boolean {
  const callee = calleeOf(call);
  return callee?.type === "attribute" && callee.childForFieldName("object")?.text === name && MUTATORS.has(callee.childForFieldName("attribute")!.text);
}

/** `f"https://api.example.com/items/{id}"`, `BASE + "/items/" + id`: the scheme and host are literal. */
export function hostIsFixed(module: PythonModule, url: PyNode): boolean {
  const pieces = stringPieces(module, unwrapPy(url), false);
  const first = pieces?.[0];
  if (!first) return false;
  if ("literal" in first) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(first.literal)) return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i.test(first.literal);
    // A relative URL (`f"/repos/{owner}"`) goes to the client's base_url.
    return first.literal.length > 0 && !first.literal.startsWith("//") && !/^[a-z][a-z0-9+.-]*:?$/i.test(first.literal);
  }
  // `f"{BASE_URL}/items/{id}"` with a constant base that ends in a host.
  const base = constantString(first.node, module);
  const second = pieces[1];
  return base !== undefined && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.test(base) && (/[/?#]$/.test(base) || (!!second && "literal" in second && /^[/?#]/.test(second.literal)));
}

/** A helper that raises unless its parameter at `index` passes a check fit for the sink. */
function validates(fn: PyNode, index: number, kind: SinkKind): boolean {
  const params = parametersOf(fn).filter((p, i) => !(i === 0 && (p.name === "self" || p.name === "cls")));
  const param = params[index]?.name;
  const body = fn.childForFieldName("body")?.text ?? "";
  if (!param || !/\braise\b/.test(body) || !body.includes(param)) return false;
  if (kind === "path") return (/is_relative_to|commonpath|relative_to\(/.test(body) && /resolve\(|realpath\(/.test(body)) || pathValidator(fn);
  if (kind === "url") return /hostname|netloc/.test(body) && /\bnot in\b|\bin\b/.test(body);
  return new RegExp(`\\b${param}\\b[^\\n]*\\bnot in\\b|fullmatch\\(`).test(body);
}

/**
 * A function that normalizes a path and rejects some paths on what it finds: it raises when the
 * resolved path lies in a denied folder (`if _in_blocked_dir(os.path.realpath(p)): raise`), has a
 * `..` component, or fails another test of the normalized value. Whether its policy is strict
 * enough is the server's decision; its result and the value it checked count as validated paths.
 */
function pathValidator(fn: PyNode): boolean {
  const body = fn.childForFieldName("body");
  if (!body || !/\braise\b/.test(body.text)) return false;
  // Names holding the normalized path, or a verdict computed from it.
  const normalized = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const a of fn.descendantsOfType("assignment")) {
      const left = a?.childForFieldName("left");
      const right = a?.childForFieldName("right");
      if (left?.type !== "identifier" || !right || normalized.has(left.text)) continue;
      if (NORMALIZES.test(right.text) || [...normalized].some((n) => new RegExp(`\\b${n}\\b`).test(right.text))) {
        normalized.add(left.text);
        grew = true;
      }
    }
  }
  return fn.descendantsOfType("if_statement").some((stmt) => {
    const condition = stmt?.childForFieldName("condition")?.text ?? "";
    const raises = stmt?.childForFieldName("consequence")?.namedChildren.some((c) => c?.type === "raise_statement") ?? false;
    const inspects = /["']\.\.["']/.test(condition) || NORMALIZES.test(condition) || [...normalized].some((n) => new RegExp(`\\b${n}\\b`).test(condition));
    return raises && inspects;
  });
}

const NORMALIZES = /realpath\(|abspath\(|normpath\(|\.resolve\(/;

/**
 * True when every string an anchored pattern accepts is harmless for the sink: only word
 * characters, `.` and `-` in classes or literals, no wildcard, no alternation. A path still
 * needs no `.` (`..`), an argv element no leading `-`.
 */
export function patternSafeFor(pattern: string, kind: SinkKind): boolean {
  const m = /^\^(.*)(?:\$|\\Z)$/.exec(pattern);
  if (!m) return false;
  const body = m[1]!;
  const atom = /\[(?:\\[wd]|[A-Za-z0-9]-[A-Za-z0-9]|[A-Za-z0-9_.-])+\]|\\[wd]|[A-Za-z0-9_-]|\\\./y;
  const quantifier = /(?:[+*?]|\{\d+(?:,\d*)?\})?/y;
  let first: string | undefined;
  for (let i = 0; i < body.length; ) {
    atom.lastIndex = i;
    const a = atom.exec(body);
    if (!a) return false;
    first ??= a[0];
    i = atom.lastIndex;
    quantifier.lastIndex = i;
    quantifier.exec(body);
    i = quantifier.lastIndex;
  }
  if (first === undefined) return false;
  if (kind === "path" && /\.|\\\./.test(body)) return false;
  if (kind === "argument" && (first === "-" || (first.startsWith("[") && /^\[-|-\]$|\\-/.test(first)))) return false;
  return true;
}
