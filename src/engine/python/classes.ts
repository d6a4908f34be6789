import { nodesWithin, type PythonModule } from "./module.js";
import { nearestAncestor, perNode, type PyNode } from "./parser.js";
import type { PyFunction, PythonProject } from "./project.js";
import { calleeOf, parametersOf, unwrapPy } from "./values.js";

/** A class definition and the module it lives in. */
export interface PyClass {
  module: PythonModule;
  node: PyNode;
  name: string;
}

/** A function a call may run, and how the call's arguments line up with its parameters. */
export interface PyCallTarget extends PyFunction {
  /** The receiver fills the first parameter: `obj.m(x)`, `self.m(x)`, `Cls(x)` running `__init__`. */
  boundSelf: boolean;
  /** `Cls(...)`: the call builds an instance of this class (its value is the object, not what `__init__` returns). */
  constructs?: PyClass;
  /** `asyncio.to_thread(fn, a, b)`: the call's positional arguments from this index on are the function's. */
  argumentOffset?: number;
}

/** Calls that run a function they are given, with the arguments that follow it: `asyncio.to_thread(fn, *args)`. */
const CALLBACK_RUNNERS: Record<string, number> = { "asyncio.to_thread": 0, "anyio.to_thread.run_sync": 0, "starlette.concurrency.run_in_threadpool": 0 };
/** Methods that do the same on an object: `loop.run_in_executor(None, fn, *args)`, `executor.submit(fn, *args)`. */
const CALLBACK_METHODS: Record<string, number> = { run_in_executor: 1, submit: 0 };

/** An assignment to an attribute of instances of a class: `self.base_dir = base_dir` in a method, or `base_dir: str = "."` in the class body. */
export interface PyAttributeAssignment {
  module: PythonModule;
  value: PyNode;
  /** The method the assignment is in; undefined for the class body. */
  fn?: PyNode;
}

const MAX_DEPTH = 4;
/** Class methods of pydantic models that build an instance from a mapping or JSON. */
const MODEL_BUILDERS = /^(?:model_validate|model_validate_json|model_validate_strings|parse_obj|parse_raw|model_construct|construct|from_orm)$/;

/**
 * Classes of a Python analysis: which class a name or an expression refers to, base classes
 * and subclasses, the methods a call may dispatch to (the receiver's class, its bases, and the
 * overrides of its subclasses, so mixins and calls on a base class reach every implementation),
 * and the attributes instances carry. Types come from constructor calls, parameter and return
 * annotations, and assignments; nothing is guessed from a method's name alone.
 */
export class PythonClasses {
  private readonly classOfNode = new Map<number, PyClass>();
  private readonly baseCache = new Map<number, PyClass[]>();
  private readonly subCache = new Map<number, PyClass[]>();
  private readonly typeCache = new Map<number, PyClass[]>();
  private readonly attrCache = new Map<string, PyAttributeAssignment[]>();
  private readonly typing = new Set<number>();
  private readonly nameIndex = new Map<string, Map<string, PyNode[]>>();
  private readonly targetCache = new Map<number, PyCallTarget[]>();
  private readonly nestedCache = new Map<number, Map<string, PyNode>>();
  private readonly methodCache = new Map<number, Map<string, PyNode>>();

  constructor(private readonly project: PythonProject) {}

  /** The class of a `class_definition` node. */
  classAt(module: PythonModule, node: PyNode): PyClass {
    let cls = this.classOfNode.get(node.id);
    if (!cls) this.classOfNode.set(node.id, (cls = { module, node, name: node.childForFieldName("name")?.text ?? "" }));
    return cls;
  }

  /** The class a name or dotted name refers to: `Runner`, `helpers.Runner`, through imports and package re-exports. */
  resolveClass(module: PythonModule, expr: PyNode): PyClass | undefined {
    const e = unwrapPy(expr);
    if (e.type === "identifier") {
      const def = this.project.definitionOf(module, e.text);
      return def?.kind === "class" ? this.classAt(def.module, def.node) : undefined;
    }
    if (e.type === "attribute") {
      const base = e.childForFieldName("object")!;
      if (base.type !== "identifier") return undefined;
      const owner = this.project.definitionOf(module, base.text);
      if (owner?.kind !== "module") return undefined;
      const def = this.project.definitionOf(owner.module, e.childForFieldName("attribute")!.text);
      return def?.kind === "class" ? this.classAt(def.module, def.node) : undefined;
    }
    if (e.type === "string") return this.classNamed(module, e.text.replace(/^[rbuRBU]*["']+|["']+$/g, ""));
    return undefined;
  }

  /** Direct base classes that are part of the analysis. */
  basesOf(cls: PyClass): PyClass[] {
    let bases = this.baseCache.get(cls.node.id);
    if (bases) return bases;
    this.baseCache.set(cls.node.id, (bases = []));
    for (const b of cls.node.childForFieldName("superclasses")?.namedChildren ?? []) {
      if (!b || b.type === "keyword_argument") continue;
      // `Generic[T]`, `Base[Config]`
      const expr = b.type === "subscript" ? b.childForFieldName("value")! : b;
      const base = this.resolveClass(cls.module, expr);
      if (base && base.node.id !== cls.node.id) bases.push(base);
    }
    return bases;
  }

  /** The class and its bases, depth first, each once. */
  mro(cls: PyClass): PyClass[] {
    const out: PyClass[] = [];
    const visit = (c: PyClass, depth: number) => {
      if (depth > 8 || out.some((o) => o.node.id === c.node.id)) return;
      out.push(c);
      for (const b of this.basesOf(c)) visit(b, depth + 1);
    };
    visit(cls, 0);
    return out;
  }

  /** Classes of the analysis that derive from `cls`, directly or not, found in its module and the modules that import it. */
  subclassesOf(cls: PyClass): PyClass[] {
    const cached = this.subCache.get(cls.node.id);
    if (cached) return cached;
    const out: PyClass[] = [];
    this.subCache.set(cls.node.id, out);
    const seen = new Set<number>([cls.node.id]);
    const queue = [cls];
    while (queue.length > 0 && out.length < 64) {
      const parent = queue.shift()!;
      for (const m of [parent.module, ...this.project.importersOf(parent.module.path)]) {
        if (!m.text.includes(parent.name)) continue;
        for (const node of m.nodesOf("class_definition")) {
          if (seen.has(node.id)) continue;
          const candidate = this.classAt(m, node);
          if (!this.basesOf(candidate).some((b) => b.node.id === parent.node.id)) continue;
          seen.add(node.id);
          out.push(candidate);
          queue.push(candidate);
        }
      }
    }
    return out;
  }

  /** A method defined in the class body itself: the first definition of the name. */
  ownMethod(cls: PyClass, name: string): PyNode | undefined {
    let methods = this.methodCache.get(cls.node.id);
    if (!methods) {
      this.methodCache.set(cls.node.id, (methods = new Map()));
      for (const stmt of cls.node.childForFieldName("body")?.namedChildren ?? []) {
        const fn = stmt?.type === "decorated_definition" ? stmt.childForFieldName("definition") : stmt;
        const own = fn?.type === "function_definition" ? fn.childForFieldName("name")?.text : undefined;
        if (own !== undefined && !methods.has(own)) methods.set(own, fn!);
      }
    }
    return methods.get(name);
  }

  /** The method `name` an instance of `cls` runs: the first definition along its bases. */
  lookup(cls: PyClass, name: string): PyFunction | undefined {
    for (const c of this.mro(cls)) {
      const fn = this.ownMethod(c, name);
      if (fn) return { module: c.module, fn };
    }
    return undefined;
  }

  /** Every method `name` a call on a `cls` value may run: its own or inherited one, and the overrides of its subclasses. */
  dispatch(cls: PyClass, name: string): PyFunction[] {
    const out: PyFunction[] = [];
    for (const c of [cls, ...this.subclassesOf(cls)]) {
      const m = this.lookup(c, name);
      if (m && !out.some((o) => o.fn.id === m.fn.id)) out.push(m);
    }
    return out;
  }

  /** The class whose instance the name `self` (the first parameter of an enclosing method) is, at a node. */
  selfClass(module: PythonModule, ident: PyNode): PyClass | undefined {
    for (let n = enclosingFunctionOf(ident); n; n = enclosingFunctionOf(n)) {
      const owner = methodOwner(n);
      if (!owner) continue;
      const first = parametersOf(n)[0];
      if (first?.name === ident.text && !isStaticMethod(n)) return this.classAt(module, owner);
    }
    return undefined;
  }

  /** The class a method belongs to. */
  ownerOf(module: PythonModule, fn: PyNode): PyClass | undefined {
    const owner = methodOwner(fn);
    return owner ? this.classAt(module, owner) : undefined;
  }

  /**
   * The functions a call may run. Module functions and imported ones; nested functions of the
   * enclosing scopes; `Cls(...)` runs `__init__`; `self.m()`, `super().m()`, `Cls.m()` and
   * `obj.m()` on a value whose class is known run the methods `dispatch` finds.
   */
  targetsOf(module: PythonModule, call: PyNode): PyCallTarget[] {
    const cached = this.targetCache.get(call.id);
    if (cached) return cached;
    const out = this.computeTargets(module, call);
    // A result found while some type was being worked out may be partial: keep only complete ones.
    if (this.typing.size === 0) this.targetCache.set(call.id, out);
    return out;
  }

  private computeTargets(module: PythonModule, call: PyNode): PyCallTarget[] {
    const callee = unwrapPy(calleeOf(call)!);
    const type = callee.type;
    const called = type === "identifier" ? callee.text : type === "attribute" ? callee.childForFieldName("attribute")!.text : undefined;
    const runner = CALLBACK_RUNNERS[module.qualifiedName(callee) ?? ""] ?? (type === "attribute" ? CALLBACK_METHODS[called ?? ""] : undefined);
    if (runner !== undefined) {
      const fn = call.childForFieldName("arguments")?.namedChildren.filter((a) => !!a && a.type !== "comment")[runner];
      if (fn && (fn.type === "identifier" || fn.type === "attribute") && this.project.definedNames().has(fn.type === "identifier" ? fn.text : fn.childForFieldName("attribute")!.text)) {
        return this.calleeTargets(module, fn, call).filter((t) => !t.constructs).map((t) => ({ ...t, argumentOffset: runner + 1 }));
      }
    }
    if (!called || !this.project.definedNames().has(called)) return [];
    return this.calleeTargets(module, callee, call);
  }

  /** What calling `callee` at `call` may run. */
  private calleeTargets(module: PythonModule, callee: PyNode, call: PyNode): PyCallTarget[] {
    if (callee.type === "identifier") {
      const nested = nestedFunction(callee, (scope) => this.nestedIn(scope));
      if (nested) return [{ module, fn: nested, boundSelf: false }];
      const fn = this.project.resolveFunction(module, callee);
      if (fn) return [{ ...fn, boundSelf: false }];
      const cls = this.resolveClass(module, callee);
      return cls ? this.construct(cls) : [];
    }
    if (callee.type !== "attribute") return [];
    const name = callee.childForFieldName("attribute")!.text;
    const receiver = unwrapPy(callee.childForFieldName("object")!);
    const fn = this.project.resolveFunction(module, callee);
    if (fn) return [{ ...fn, boundSelf: false }];
    // `super().m(...)`
    if (receiver.type === "call" && receiver.childForFieldName("function")?.text === "super") {
      const owner = enclosingMethodClass(call);
      const cls = owner ? this.classAt(module, owner) : undefined;
      const out: PyCallTarget[] = [];
      for (const base of cls ? this.basesOf(cls) : []) {
        const m = this.lookup(base, name);
        if (m) out.push({ ...m, boundSelf: !isStaticMethod(m.fn) });
      }
      return out;
    }
    // `Cls.m(...)`: a static or class method, or an unbound call that passes the instance itself.
    const cls = receiver.type === "identifier" || receiver.type === "attribute" ? this.resolveClass(module, receiver) : undefined;
    if (cls) {
      const m = this.lookup(cls, name);
      if (!m) return [];
      if (name === "__init__") return [{ ...m, boundSelf: false }];
      return [{ ...m, boundSelf: isClassMethod(m.fn) }];
    }
    const out: PyCallTarget[] = [];
    for (const type of this.typeOf(module, receiver)) {
      for (const m of this.dispatch(type, name)) if (!out.some((o) => o.fn.id === m.fn.id)) out.push({ ...m, boundSelf: !isStaticMethod(m.fn) });
    }
    return out;
  }

  private nestedIn(scope: PyNode): Map<string, PyNode> {
    let defs = this.nestedCache.get(scope.id);
    if (!defs) this.nestedCache.set(scope.id, (defs = nestedDefinitions(scope)));
    return defs;
  }

  private construct(cls: PyClass): PyCallTarget[] {
    const init = this.lookup(cls, "__init__");
    return init ? [{ ...init, boundSelf: true, constructs: cls }] : [];
  }

  /** The classes of the analysis a value may be an instance of. */
  typeOf(module: PythonModule, expr: PyNode, depth = 0): PyClass[] {
    const e = unwrapPy(expr);
    const cached = this.typeCache.get(e.id);
    if (cached) return cached;
    if (depth > MAX_DEPTH || this.typing.has(e.id)) return [];
    this.typing.add(e.id);
    try {
      const out = this.computeType(module, e, depth);
      if (depth === 0 && this.typing.size === 1) this.typeCache.set(e.id, out);
      return out;
    } finally {
      this.typing.delete(e.id);
    }
  }

  private computeType(module: PythonModule, e: PyNode, depth: number): PyClass[] {
    switch (e.type) {
      case "call": {
        const callee = unwrapPy(e.childForFieldName("function")!);
        const direct = callee.type === "identifier" || callee.type === "attribute" ? this.resolveClass(module, callee) : undefined;
        if (direct) return [direct];
        // `Model.model_validate(arguments)`: pydantic's constructors from a mapping or JSON.
        if (callee.type === "attribute" && MODEL_BUILDERS.test(callee.childForFieldName("attribute")!.text)) {
          const model = this.resolveClass(module, callee.childForFieldName("object")!);
          if (model) return [model];
        }
        // `Cls.create(...)` returning `cls(...)`, and any function annotated `-> Cls`.
        const out: PyClass[] = [];
        for (const t of this.targetsOf(module, e)) {
          if (t.constructs) continue;
          for (const c of this.annotated(t.module, t.fn.childForFieldName("return_type"))) if (!out.some((o) => o.node.id === c.node.id)) out.push(c);
        }
        return out;
      }
      case "identifier": {
        const self = this.selfClass(module, e);
        if (self) return [self];
        return unique(this.bindingsOf(module, e).flatMap((b) => (b.type === "parameter" ? this.annotated(module, b.annotation) : this.typeOf(module, b.value, depth + 1))));
      }
      case "attribute": {
        const object = unwrapPy(e.childForFieldName("object")!);
        const attr = e.childForFieldName("attribute")!.text;
        const out: PyClass[] = [];
        for (const owner of this.typeOf(module, object, depth + 1)) {
          for (const a of this.attributeAssignments(owner, attr)) out.push(...this.typeOf(a.module, a.value, depth + 1));
          for (const c of [owner, ...this.subclassesOf(owner)]) {
            for (const k of this.mro(c)) out.push(...this.annotated(k.module, classAnnotation(k.node, attr)));
          }
        }
        return unique(out);
      }
      case "conditional_expression":
        return unique(e.namedChildren.filter((c, i) => !!c && i !== 1).flatMap((c) => this.typeOf(module, c!, depth + 1)));
      case "boolean_operator":
        return unique([e.childForFieldName("left")!, e.childForFieldName("right")!].flatMap((c) => this.typeOf(module, c, depth + 1)));
      default:
        return [];
    }
  }

  /** Classes named by an annotation: `Runner`, `Optional[Runner]`, `Runner | None`, `"Runner"`. */
  annotated(module: PythonModule, type: PyNode | null | undefined): PyClass[] {
    if (!type) return [];
    const t = type.type === "type" ? type.namedChildren[0] : type;
    if (!t) return [];
    if (t.type === "binary_operator") return unique([...this.annotated(module, t.childForFieldName("left")), ...this.annotated(module, t.childForFieldName("right"))]);
    if (t.type === "generic_type" || t.type === "subscript") {
      const head = (t.type === "subscript" ? t.childForFieldName("value") : t.namedChildren[0])?.text ?? "";
      if (!/(?:^|\.)(?:Optional|Union|Annotated|Awaitable|Coroutine)$/.test(head)) return [];
      const args = t.type === "subscript" ? t.childrenForFieldName("subscript") : (t.namedChildren[1]?.namedChildren ?? []);
      const list = /Annotated$/.test(head) ? args.slice(0, 1) : args;
      return unique(list.flatMap((a) => (a ? this.annotated(module, a) : [])));
    }
    const cls = this.resolveClass(module, t);
    return cls ? [cls] : [];
  }

  /**
   * Where instances of `cls` get attribute `attr`: `self.attr = ...` in the methods of the class,
   * of its bases and of its subclasses (mixins share one object), and the class body.
   */
  attributeAssignments(cls: PyClass, attr: string): PyAttributeAssignment[] {
    const key = `${cls.node.id}:${attr}`;
    const cached = this.attrCache.get(key);
    if (cached) return cached;
    const out: PyAttributeAssignment[] = [];
    this.attrCache.set(key, out);
    const related: PyClass[] = [];
    for (const c of [cls, ...this.subclassesOf(cls)]) for (const k of this.mro(c)) if (!related.some((r) => r.node.id === k.node.id)) related.push(k);
    for (const k of related) {
      if (!k.node.text.includes(attr)) continue;
      for (const stmt of k.node.childForFieldName("body")?.namedChildren ?? []) {
        const assign = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
        const right = assign?.type === "assignment" ? assign.childForFieldName("right") : undefined;
        if (right && assign!.childForFieldName("left")?.text === attr) out.push({ module: k.module, value: right });
      }
      for (const node of nodesWithin(k.node, "assignment", "augmented_assignment")) {
        const left = node.childForFieldName("left");
        const right = node.childForFieldName("right");
        if (!left || !right) continue;
        const value = attributeTarget(left, right, attr);
        if (!value) continue;
        const fn = enclosingFunctionOf(node);
        const self = fn ? selfName(fn) : undefined;
        if (!fn || !self || !value.object || value.object !== self || methodOwner(outerMethod(fn))?.id !== k.node.id) continue;
        out.push({ module: k.module, value: value.value, fn });
      }
    }
    return out;
  }

  /** The annotation of a field declared in the class body of `cls` or a base (`limit: int`, `url: str = Field(...)`). */
  declaredType(cls: PyClass, attr: string): PyNode | undefined {
    for (const c of this.mro(cls)) {
      const type = classAnnotation(c.node, attr);
      if (type) return type;
    }
    return undefined;
  }

  /** What a name may be bound to at a node: assignments in its scope before it (or anywhere, for enclosing scopes), or a parameter. */
  bindingsOf(module: PythonModule, ident: PyNode): ({ type: "value"; value: PyNode } | { type: "parameter"; annotation: PyNode | null; fn: PyNode })[] {
    const name = ident.text;
    const candidates = this.assignmentsNamed(module, name);
    const innermost = enclosingFunctionOf(ident);
    for (let scope: PyNode | null = innermost; ; scope = scope ? enclosingFunctionOf(scope) : null) {
      const values: PyNode[] = [];
      for (const node of candidates) {
        const own = scopeOf(node);
        if (own === undefined || (own?.id ?? null) !== (scope?.id ?? null)) continue;
        if (scope && scope.id === innermost?.id && node.startIndex > ident.startIndex) continue;
        values.push(node.type === "as_pattern" ? node.namedChildren[0]! : node.childForFieldName("right")!);
      }
      if (values.length > 0) return values.map((value) => ({ type: "value" as const, value }));
      if (scope) {
        const param = parametersOf(scope).find((p) => p.name === name);
        if (param) return [{ type: "parameter", annotation: param.node.childForFieldName("type"), fn: scope }];
      }
      if (!scope) return [];
    }
  }

  /** `name = ...` and `... as name` anywhere in a module. */
  private assignmentsNamed(module: PythonModule, name: string): PyNode[] {
    let index = this.nameIndex.get(module.path);
    if (!index) {
      this.nameIndex.set(module.path, (index = new Map()));
      for (const node of module.nodesOf("assignment")) {
        const left = node.childForFieldName("left");
        if (left?.type !== "identifier" || !node.childForFieldName("right")) continue;
        const list = index.get(left.text) ?? [];
        list.push(node);
        index.set(left.text, list);
      }
      if (/\bas\b/.test(module.text)) {
        for (const w of module.nodesOf("as_pattern")) {
          const alias = w?.childForFieldName("alias")?.text;
          if (!w || !alias || !w.namedChildren[0]) continue;
          const list = index.get(alias) ?? [];
          list.push(w);
          index.set(alias, list);
        }
      }
    }
    return index.get(name) ?? [];
  }

  private classNamed(module: PythonModule, dotted: string): PyClass | undefined {
    const parts = dotted.split(".");
    const def = this.project.definitionOf(module, parts[0]!);
    if (parts.length === 1) return def?.kind === "class" ? this.classAt(def.module, def.node) : undefined;
    if (def?.kind !== "module" || parts.length !== 2) return undefined;
    const inner = this.project.definitionOf(def.module, parts[1]!);
    return inner?.kind === "class" ? this.classAt(inner.module, inner.node) : undefined;
  }
}

function unique(classes: PyClass[]): PyClass[] {
  const out: PyClass[] = [];
  for (const c of classes) if (!out.some((o) => o.node.id === c.node.id)) out.push(c);
  return out;
}

/** The class definition a function is a method of. */
export function methodOwner(fn: PyNode | undefined): PyNode | undefined {
  if (!fn) return undefined;
  const holder = fn.parent?.type === "decorated_definition" ? fn.parent : fn;
  const cls = holder.parent?.type === "block" ? holder.parent.parent : undefined;
  return cls?.type === "class_definition" ? cls : undefined;
}

/** The outermost method around a nested function (a closure inside a method uses its `self`). */
function outerMethod(fn: PyNode): PyNode | undefined {
  for (let n: PyNode | null = fn; n; n = n.parent) if (n.type === "function_definition" && methodOwner(n)) return n;
  return undefined;
}

function enclosingMethodClass(node: PyNode): PyNode | undefined {
  for (let n = node.parent; n; n = n.parent) if (n.type === "function_definition" && methodOwner(n)) return methodOwner(n);
  return undefined;
}

/** The name a method calls its instance (its first parameter), seen from a function or a closure inside it. */
function selfName(fn: PyNode): string | undefined {
  const method = outerMethod(fn);
  if (!method || isStaticMethod(method)) return undefined;
  return parametersOf(method)[0]?.name;
}

/** The function whose local a name bound at `node` is; null for the module, undefined inside a class body. */
const scopeOf: (node: PyNode) => PyNode | null | undefined = perNode(findScope);

function findScope(node: PyNode): PyNode | null | undefined {
  for (let n = node.parent; n; n = n.parent) {
    if (n.type === "function_definition") return n;
    if (n.type === "class_definition") return undefined;
  }
  return null;
}

/** The innermost function definition around a node (lambdas are not one), or null. */
export const enclosingFunctionOf: (node: PyNode) => PyNode | null = nearestAncestor((type) => type === "function_definition");

function decorators(fn: PyNode): string[] {
  return fn.parent?.type === "decorated_definition" ? fn.parent.namedChildren.filter((d) => d?.type === "decorator").map((d) => d!.text) : [];
}

export function isStaticMethod(fn: PyNode): boolean {
  return decorators(fn).some((d) => /^@(?:\w+\.)?staticmethod\b/.test(d));
}

function isClassMethod(fn: PyNode): boolean {
  return decorators(fn).some((d) => /^@(?:\w+\.)?classmethod\b/.test(d));
}

/** `attr: Runner` or `attr: Runner = ...` in a class body. */
function classAnnotation(cls: PyNode, attr: string): PyNode | undefined {
  for (const stmt of cls.childForFieldName("body")?.namedChildren ?? []) {
    const assign = stmt?.type === "expression_statement" ? stmt.namedChildren[0] : undefined;
    if (assign?.type === "assignment" && assign.childForFieldName("left")?.text === attr) {
      const type = assign.childForFieldName("type");
      if (type) return type;
    }
  }
  return undefined;
}

/** `self.attr = v`, `self.attr: T = v`, `self.attr += v`, `self.a, self.attr = x, y`: the value given to `attr`, and the name of the object. */
function attributeTarget(left: PyNode, right: PyNode, attr: string): { object: string; value: PyNode } | undefined {
  if (left.type === "attribute") {
    const object = left.childForFieldName("object");
    return object?.type === "identifier" && left.childForFieldName("attribute")?.text === attr ? { object: object.text, value: right } : undefined;
  }
  if (left.type === "pattern_list" || left.type === "tuple_pattern" || left.type === "tuple") {
    const targets = left.namedChildren;
    const values = right.type === "expression_list" || right.type === "tuple" ? right.namedChildren : undefined;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (!t) continue;
      const hit = attributeTarget(t, values?.[i] ?? right, attr);
      if (hit) return hit;
    }
  }
  return undefined;
}

/** A function defined in an enclosing scope of a call (a closure's helper), by the called name. */
export function nestedFunction(callee: PyNode, definitions: (scope: PyNode) => ReadonlyMap<string, PyNode> = nestedDefinitions): PyNode | undefined {
  const name = callee.text;
  for (let scope = enclosingFunctionOf(callee); scope; scope = enclosingFunctionOf(scope)) {
    const fn = definitions(scope).get(name);
    if (fn) return fn;
  }
  return undefined;
}

/** Functions defined directly in a function's body, by name. */
function nestedDefinitions(scope: PyNode): Map<string, PyNode> {
  const defs = new Map<string, PyNode>();
  for (const stmt of scope.childForFieldName("body")?.namedChildren ?? []) {
    const fn = stmt?.type === "decorated_definition" ? stmt.childForFieldName("definition") : stmt;
    const name = fn?.type === "function_definition" ? fn.childForFieldName("name")?.text : undefined;
    if (name && !defs.has(name)) defs.set(name, fn!);
  }
  return defs;
}
