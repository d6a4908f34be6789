import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString } from "../../src/engine/python/values.js";

/** Loaders that run code from their input, and what to use instead. */
const LOADERS: Record<string, { what: string; fix: string }> = {
  "pickle.loads": { what: "pickle runs any callable the data names while it loads (`__reduce__`)", fix: "json.loads(data)" },
  "pickle.load": { what: "pickle runs any callable the data names while it loads (`__reduce__`)", fix: "json.load(f)" },
  "pickle.Unpickler": { what: "pickle runs any callable the data names while it loads (`__reduce__`)", fix: "json.load(f)" },
  "_pickle.loads": { what: "pickle runs any callable the data names while it loads", fix: "json.loads(data)" },
  "cPickle.loads": { what: "pickle runs any callable the data names while it loads", fix: "json.loads(data)" },
  "dill.loads": { what: "dill, like pickle, runs code named by the data", fix: "json.loads(data)" },
  "dill.load": { what: "dill, like pickle, runs code named by the data", fix: "json.load(f)" },
  "joblib.load": { what: "joblib files are pickles: loading one runs code it names", fix: "a format without code, such as JSON or safetensors" },
  "pandas.read_pickle": { what: "a pickle file runs code it names when it is loaded", fix: "pandas.read_json(path) or pandas.read_parquet(path)" },
  "jsonpickle.decode": { what: "jsonpickle rebuilds arbitrary Python objects, calling code the data names", fix: "json.loads(data)" },
  "marshal.loads": { what: "marshal loads code objects and is not safe against crafted data", fix: "json.loads(data)" },
  "marshal.load": { what: "marshal loads code objects and is not safe against crafted data", fix: "json.load(f)" },
  "shelve.open": { what: "a shelve file is a database of pickles", fix: "json or sqlite3 with plain values" },
  "yaml.unsafe_load": { what: "yaml.unsafe_load builds arbitrary Python objects (`!!python/object/apply:os.system`)", fix: "yaml.safe_load(data)" },
  "yaml.unsafe_load_all": { what: "yaml.unsafe_load_all builds arbitrary Python objects", fix: "yaml.safe_load_all(data)" },
};
const YAML_LOADS = new Set(["yaml.load", "yaml.load_all"]);
const SAFE_YAML_LOADERS = /(?:^|\.)(?:SafeLoader|CSafeLoader|BaseLoader|CBaseLoader)$/;

/** Text pre-filter: a deserializer that can run code. */
export const MENTIONS_PY = /\b(?:pickle|cPickle|dill|joblib|read_pickle|jsonpickle|marshal|shelve|yaml|torch)\b/;

/** The Python check of unsafe-deserialization: pickle, marshal, dill, jsonpickle, `yaml.load` without a safe loader, `torch.load` without `weights_only=True`, on tool input. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const fn = ctx.module.qualifiedName(calleeOf(call)!);
    if (!fn) continue;
    const args = callArgs(call);
    let loader = LOADERS[fn];
    if (YAML_LOADS.has(fn)) {
      const given = args.keywords.get("Loader") ?? args.positional[1];
      if (given && SAFE_YAML_LOADERS.test(ctx.module.qualifiedName(given) ?? given.text)) continue;
      loader = { what: `${fn} with ${given ? `\`Loader=${given.text}\`` : "no safe `Loader`"} builds arbitrary Python objects (\`!!python/object/apply:os.system\`)`, fix: fn === "yaml.load" ? "yaml.safe_load(data)" : "yaml.safe_load_all(data)" };
    } else if (fn === "torch.load") {
      const weightsOnly = args.keywords.get("weights_only");
      if (weightsOnly && weightsOnly.text === "True") continue;
      loader = { what: "torch.load without `weights_only=True` unpickles the file, running code it names", fix: "torch.load(path, weights_only=True)" };
    } else if (fn === "numpy.load") {
      const allow = args.keywords.get("allow_pickle");
      if (!allow || allow.text !== "True") continue;
      loader = { what: "numpy.load with `allow_pickle=True` unpickles object arrays", fix: "numpy.load(path) (allow_pickle defaults to False)" };
    }
    if (!loader) continue;
    const data = args.positional[0] ?? args.keywords.get("data") ?? args.keywords.get("stream") ?? args.keywords.get("file") ?? args.keywords.get("f");
    if (!data || constantString(data, ctx.module) !== undefined || !ctx.taint.isTainted(data)) continue;
    report(ctx, call, fn, data, loader, safeCall(call, fn));
  }
}

/**
 * The call rewritten to its safe form, where one exists and keeps the call's meaning: `yaml.load(x)`
 * as `yaml.safe_load(x)` (the Loader dropped), `torch.load(p)` with `weights_only=True`.
 */
function safeCall(call: PyNode, fn: string): string | undefined {
  const callee = calleeOf(call)!;
  const args = callArgs(call);
  const argList = call.childForFieldName("arguments")!;
  if (fn === "yaml.load" || fn === "yaml.load_all") {
    if (callee.type !== "attribute") return undefined;
    const kept = [args.positional[0], ...[...args.keywords].filter(([k]) => k !== "Loader").map(([k, v]) => ({ text: `${k}=${v.text}` }))].filter((a): a is { text: string } => !!a);
    if (args.positional.length > 2) return undefined;
    return `${callee.childForFieldName("object")!.text}.${fn === "yaml.load" ? "safe_load" : "safe_load_all"}(${kept.map((a) => a.text).join(", ")})`;
  }
  if (fn === "torch.load") {
    const inner = argList.text.slice(1, -1).trim();
    const rest = [...args.keywords].filter(([k]) => k !== "weights_only");
    const positional = args.positional.map((a) => a.text);
    if (inner.includes("*")) return undefined;
    return `${callee.text}(${[...positional, ...rest.map(([k, v]) => `${k}=${v.text}`), "weights_only=True"].join(", ")})`;
  }
  return undefined;
}

function report(ctx: PythonRuleContext, call: PyNode, fn: string, data: PyNode, loader: { what: string; fix: string }, safe: string | undefined): void {
  const fromFile = /load$|^shelve|read_pickle|Unpickler/.test(fn) && !fn.endsWith("loads");
  ctx.report({
    node: call,
    ...(safe ? { fix: { node: call, replacement: safe } } : {}),
    severity: "critical",
    message:
      `${inputLabel(ctx.taint.sourcesOf(data))} reaches \`${calleeOf(call)!.text}(${abbreviatePy(data)})\`: ${loader.what}. ` +
      `Whoever chooses the tool arguments — the model, or a prompt injection in anything it reads — can ${fromFile ? "point it at a crafted file" : "send a crafted payload"} and run arbitrary code in the server process.`,
    remediation: [
      `Never deserialize ${fromFile ? "files that tool input chooses" : "tool input"} with a format that can name code. Use a data-only format:`,
      "",
      "```python",
      loader.fix.includes("(") ? loader.fix : `# ${loader.fix}`,
      "```",
      "",
      fn.startsWith("yaml")
        ? "`yaml.safe_load` builds only plain dicts, lists, strings and numbers."
        : "Then validate the result's shape (for example with a pydantic model) before using it. If the server must load pickles it produced itself, sign them (`hmac`) and verify the signature before loading, and never let tool input choose the file.",
    ].join("\n"),
  });
}
