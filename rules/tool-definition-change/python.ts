import type { Span } from "../../src/engine/config/index.js";
import type { TextRuleContext } from "../../src/engine/rule.js";
import { compareTools, type Definition } from "./compare.js";

/** The Python check, on the text of both versions: a changed tool definition, found by `compareTools`. */
export function checkText(ctx: TextRuleContext): void {
  if (ctx.language !== "python" || ctx.base === undefined) return;
  for (const change of compareTools(pythonToolDefinitions(ctx.base), pythonToolDefinitions(ctx.text))) {
    ctx.report({ offset: change.at.offset, length: change.at.length, severity: change.severity, message: change.message, remediation: change.remediation });
  }
}

const TOOL_DECORATOR = /^[ \t]*@[\w.]*\btool\s*\(/gm;
/** No server defines more tools than this in one file; the cap bounds the work on hostile input. */
const MAX_TOOLS = 500;
const LOW_LEVEL_TOOL = /\b(?:types\.)?Tool\s*\(/g;

/**
 * Tools a Python file defines, read from its text: `@mcp.tool(...)` functions (name from
 * `name=` or the function, description from `description=` or the docstring, the signature as
 * the input schema) and low-level `types.Tool(name=..., description=..., inputSchema=...)`.
 */
export function pythonToolDefinitions(text: string): Definition<Span>[] {
  const out: Definition<Span>[] = [];
  for (const m of first(text.matchAll(TOOL_DECORATOR), MAX_TOOLS)) {
    const open = m.index! + m[0].length - 1;
    const close = matching(text, open);
    if (close < 0) continue;
    const args = text.slice(open + 1, close);
    const def = /^\s*(?:[@#][^\n]*\n\s*)*(?:async\s+)?def\s+(\w+)\s*\(/.exec(text.slice(close + 1));
    if (!def) continue;
    const defStart = close + 1 + def.index! + def[0].lastIndexOf(def[1]!);
    const paramsOpen = close + 1 + def.index! + def[0].length - 1;
    const paramsClose = matching(text, paramsOpen);
    if (paramsClose < 0) continue;
    const colon = text.indexOf(":", paramsClose);
    const named = keywordString(args, "name", open + 1);
    const described = keywordString(args, "description", open + 1) ?? docstring(text, colon + 1);
    out.push({
      name: named?.text ?? def[1]!,
      nameAt: named?.at ?? { offset: defStart, length: def[1]!.length },
      description: described,
      schema: { text: normalize(text.slice(paramsOpen, colon)), at: { offset: paramsOpen, length: colon - paramsOpen } },
    });
  }
  for (const m of first(text.matchAll(LOW_LEVEL_TOOL), MAX_TOOLS)) {
    const open = m.index! + m[0].length - 1;
    const close = matching(text, open);
    if (close < 0) continue;
    const args = text.slice(open + 1, close);
    const name = keywordString(args, "name", open + 1);
    if (!name) continue;
    const schema = /\binputSchema\s*=\s*/.exec(args);
    let schemaPart: Definition<Span>["schema"];
    if (schema) {
      const start = open + 1 + schema.index + schema[0].length;
      const end = text[start] === "{" ? matching(text, start) + 1 : text.indexOf(",", start);
      if (end > start) schemaPart = { text: normalize(text.slice(start, end)), at: { offset: start, length: end - start } };
    }
    out.push({ name: name.text, nameAt: name.at, description: keywordString(args, "description", open + 1), schema: schemaPart });
  }
  return out;
}

function* first<T>(items: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const item of items) {
    if (i++ >= n) return;
    yield item;
  }
}

/** The value of `key="..."` among call arguments, adjacent literals joined, with where it is written. */
function keywordString(args: string, key: string, base: number): { text: string; at: Span } | undefined {
  const m = new RegExp(`\\b${key}\\s*=\\s*\\(?\\s*`).exec(args);
  if (!m) return undefined;
  const start = m.index + m[0].length;
  const lit = literals(args, start);
  return lit ? { text: lit.text, at: { offset: base + start, length: lit.end - start } } : undefined;
}

/** The docstring of the body starting after the `def ...:` colon. */
function docstring(text: string, from: number): { text: string; at: Span } | undefined {
  const m = /^[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*(?=[rRuU]?["'])/.exec(text.slice(from));
  if (!m) return undefined;
  const start = from + m[0].length;
  const lit = literals(text, start);
  return lit ? { text: dedent(lit.text), at: { offset: start, length: lit.end - start } } : undefined;
}

/** Python string literals at `start` (implicitly concatenated), prefixes r/u/f/b allowed. */
function literals(text: string, start: number): { text: string; end: number } | undefined {
  let i = start;
  let value = "";
  let found = false;
  for (;;) {
    const m = /^\s*([rRuUfFbB]{0,2})("""|'''|"|')/.exec(text.slice(i));
    if (!m || (found && /^\s*\n\s*\n/.test(text.slice(i)))) break;
    const quote = m[2]!;
    const bodyStart = i + m[0].length;
    let j = bodyStart;
    while (j < text.length && !text.startsWith(quote, j)) {
      if (text[j] === "\\") j++;
      else if (quote.length === 1 && text[j] === "\n") return found ? { text: value, end: i } : undefined;
      j++;
    }
    if (j >= text.length) break;
    value += text.slice(bodyStart, j);
    i = j + quote.length;
    found = true;
  }
  return found ? { text: value, end: i } : undefined;
}

/** How far a decorator, signature or schema may reach: an unclosed bracket must not make each search scan the whole file. */
const MAX_SPAN = 20_000;

/** Index of the bracket closing the one at `open`, skipping strings; -1 if none within MAX_SPAN. */
function matching(text: string, open: number): number {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const stack: string[] = [];
  const end = Math.min(text.length, open + MAX_SPAN);
  for (let i = open; i < end; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      const triple = text.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      const close = text.indexOf(triple, i + triple.length);
      if (close < 0 || close > end) return -1;
      i = close + triple.length - 1;
    } else if (ch === "#") {
      const nl = text.indexOf("\n", i);
      if (nl < 0) return -1;
      i = nl;
    } else if (pairs[ch]) stack.push(pairs[ch]!);
    else if (ch === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

function dedent(text: string): string {
  return text.split("\n").map((l) => l.trim()).join("\n").trim();
}

function normalize(code: string): string {
  return code.replace(/\s+/g, " ").replace(/,\s*([)}\]])/g, " $1").trim();
}
