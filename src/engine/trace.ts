import type { Finding, TraceStep } from "./types.js";

/** A place in a flow, already read off its language's tree. */
export interface FlowPlace {
  path: string;
  line: number;
  /** Short source text of what sits there: a parameter, a call, the tainted expression. */
  text: string;
}

/**
 * The steps a reader follows from source to sink, worded the same for every language: where the
 * input enters a handler, each call that carries it into another function, and the sink.
 */
export function traceSteps(source: FlowPlace & { label: string }, calls: readonly FlowPlace[], sink: FlowPlace & { code: string }): TraceStep[] {
  return [
    { path: source.path, line: source.line, note: `${source.label} enters the handler as ${code(source.text)}` },
    ...calls.map((call) => ({ path: call.path, line: call.line, note: `passed on by ${code(call.text)}` })),
    { path: sink.path, line: sink.line, note: `reaches ${code(sink.text)} in ${code(oneLine(sink.code, 60))}` },
  ];
}

/** Markdown code span for any text, backticks included (CommonMark: a longer fence, padded). */
export function code(text: string): string {
  const flat = oneLine(text, 80);
  const runs = flat.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  return runs.length === 0 ? `${fence}${flat}${fence}` : `${fence} ${flat} ${fence}`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A trace worth showing beside the message: input passes through a call, or enters in another file. */
export function showsPath(finding: Finding): boolean {
  const trace = finding.trace ?? [];
  return trace.length > 2 || trace.some((step) => step.path !== finding.path);
}
