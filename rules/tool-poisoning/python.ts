import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { stringPieces } from "../../src/engine/python/pieces.js";
import { callArgs, calleeOf, constantString, unwrapPy } from "../../src/engine/python/values.js";
import { poisoningMessage, poisoningReasons, POISONING_REMEDIATION } from "./reasons.js";

/** Text pre-filter: FastMCP and low-level servers both import from `mcp` or `fastmcp`. */
export const MENTIONS_PY = /\b(?:mcp|fastmcp)\b/;

/** Attributes that hold what the model reads about a tool. */
const DESCRIPTION_ATTRIBUTES = new Set(["__doc__", "description"]);

/**
 * The Python check of tool-poisoning: docstrings and `description=` of tools, prompts and resources,
 * `Field(description=...)`, `types.Tool(...)`, and descriptions written at run time
 * (`fn.__doc__ = "..."`, `tool.description = "..."`, `setattr(fn, "__doc__", ...)`, `+=`).
 */
export function checkPython(ctx: PythonRuleContext): void {
  for (const { node, text, toolName } of ctx.mcp.descriptions) {
    const reasons = poisoningReasons(text);
    if (reasons.length > 0) ctx.report({ node, message: poisoningMessage(toolName, reasons), remediation: POISONING_REMEDIATION });
  }
  if (!ctx.mcp.isMcpServer || !/__doc__|\bdescription\b/.test(ctx.module.text)) return;
  for (const { node, target, value } of runtimeDescriptions(ctx)) {
    const text = writtenText(ctx, value);
    const reasons = text === undefined ? [] : poisoningReasons(text);
    if (reasons.length === 0) continue;
    ctx.report({
      node,
      message: `${poisoningMessage(toolName(ctx, target), reasons)} The text is set at run time (\`${abbreviate(node)}\`), so a review of the definition does not show it.`,
      remediation: POISONING_REMEDIATION,
    });
  }
}

/** `x.__doc__ = v`, `x.description += v`, `x["description"] = v`, `setattr(x, "__doc__", v)`: where a description is replaced. */
function runtimeDescriptions(ctx: PythonRuleContext): { node: PyNode; target: PyNode; value: PyNode }[] {
  const out: { node: PyNode; target: PyNode; value: PyNode }[] = [];
  for (const assign of ctx.module.nodesOf("assignment", "augmented_assignment")) {
    const left = assign.childForFieldName("left");
    const value = assign.childForFieldName("right");
    if (!left || !value) continue;
    if (left.type === "attribute" && DESCRIPTION_ATTRIBUTES.has(left.childForFieldName("attribute")!.text)) out.push({ node: assign, target: left.childForFieldName("object")!, value });
    else if (left.type === "subscript" && constantString(left.childForFieldName("subscript")!, ctx.module) === "description") out.push({ node: assign, target: left.childForFieldName("value")!, value });
  }
  for (const call of ctx.module.nodesOf("call")) {
    if (calleeOf(call)?.text !== "setattr") continue;
    const [target, name, value] = callArgs(call).positional;
    if (target && name && value && DESCRIPTION_ATTRIBUTES.has(constantString(name, ctx.module) ?? "")) out.push({ node: call, target, value });
  }
  return out;
}

/** The text a value writes: a constant, or the literal parts of an f-string or a `+`/`%`/`.format` template. */
function writtenText(ctx: PythonRuleContext, value: PyNode): string | undefined {
  const constant = constantString(value, ctx.module);
  if (constant !== undefined) return constant;
  const pieces = stringPieces(ctx.module, unwrapPy(value));
  if (!pieces) return undefined;
  return pieces.map((p) => ("literal" in p ? p.literal : (constantString(p.node, ctx.module) ?? " "))).join("");
}

/** The tool a description belongs to: the registered name of a handler function, else the function or object named. */
function toolName(ctx: PythonRuleContext, target: PyNode): string | undefined {
  const t = unwrapPy(target);
  if (t.type === "identifier") return ctx.mcp.handlers.find((h) => h.fn.childForFieldName("name")?.text === t.text)?.toolName ?? t.text;
  return undefined;
}

function abbreviate(node: PyNode): string {
  const flat = node.text.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
