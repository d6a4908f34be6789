import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import { abbreviatePy, callArgs, calleeOf, constantString, unwrapPy } from "../../src/engine/python/values.js";

const EVALUATORS: Record<string, string> = {
  eval: "evaluates it as a Python expression",
  exec: "runs it as Python statements",
  compile: "compiles it into code that is then run",
  "builtins.eval": "evaluates it as a Python expression",
  "builtins.exec": "runs it as Python statements",
  "code.InteractiveInterpreter.runsource": "runs it as Python source",
  "importlib.import_module": "imports the module it names, running that module's code",
  __import__: "imports the module it names, running that module's code",
};

/** Text pre-filter: a call that runs Python source. */
export const MENTIONS_PY = /\b(?:eval|exec|compile|import_module|__import__|runsource)\s*\(/;

/** The Python check of code-injection: `eval`, `exec`, `compile` and dynamic imports on tool input. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    const fn = ctx.module.qualifiedName(callee);
    const what = fn ? EVALUATORS[fn] : undefined;
    // A local function or method that happens to be called `eval` is not the builtin.
    if (!what || (callee.type === "identifier" && ctx.module.functions.has(callee.text))) continue;
    const source = callArgs(call).positional[0] ?? callArgs(call).keywords.get("source");
    if (!source || constantString(source, ctx.module) !== undefined || !ctx.taint.isTainted(source)) continue;
    // `eval(compile(src, ...))`: reported once, at the inner call that receives the input.
    if (unwrapPy(source).type === "call" && EVALUATORS[ctx.module.qualifiedName(unwrapPy(source).childForFieldName("function")!) ?? ""]) continue;
    const isImport = fn!.includes("import");
    ctx.report({
      node: call,
      severity: isImport ? "high" : "critical",
      message:
        `${inputLabel(ctx.taint.sourcesOf(source))} reaches \`${callee.text}(${abbreviatePy(source)})\`, which ${what}. ` +
        "Whoever chooses the tool arguments — the model, or a prompt injection in anything it reads — runs arbitrary Python in the server process: " +
        "`__import__('os').system(...)` reads files, steals tokens and starts programs.",
      remediation: isImport
        ? [
            "Do not let tool input name a module. Map the allowed choices to modules explicitly:",
            "",
            "```python",
            'PLUGINS = {"csv": csv_plugin, "json": json_plugin}',
            "plugin = PLUGINS[name]  # KeyError for anything else",
            "```",
          ].join("\n")
        : [
            "Never evaluate tool input as code. For Python literals (numbers, strings, lists, dicts) use `ast.literal_eval`:",
            "",
            "```python",
            `value = ast.literal_eval(${abbreviatePy(source, 40)})`,
            "```",
            "",
            "For arithmetic, parse with `ast.parse(expr, mode=\"eval\")` and evaluate only the node types you allow (numbers, `+ - * /`), or use a small expression library. " +
              "`eval` with restricted `globals` is not a sandbox: `().__class__.__base__.__subclasses__()` reaches everything.",
          ].join("\n"),
    });
  }
}
