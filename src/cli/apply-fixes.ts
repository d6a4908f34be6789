import type { Suggestion } from "../engine/types.js";

/**
 * A file's text with suggestions applied, each replacing its whole lines. Suggestions that
 * overlap one already taken are left out (`skipped`); each was verified on its own.
 */
export function applySuggestions(text: string, suggestions: readonly Suggestion[]): { text: string; applied: Suggestion[]; skipped: Suggestion[] } {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const applied: Suggestion[] = [];
  const skipped: Suggestion[] = [];
  for (const s of [...suggestions].sort((a, b) => a.line - b.line)) {
    if (applied.some((a) => s.line <= a.endLine && s.endLine >= a.line)) skipped.push(s);
    else applied.push(s);
  }
  // From the bottom up, so earlier line numbers stay true.
  for (const s of [...applied].reverse()) lines.splice(s.line - 1, s.endLine - s.line + 1, ...s.text.split(/\r?\n/));
  return { text: lines.join(eol), applied, skipped };
}

/**
 * The unified diff (three lines of context, `a/` and `b/` prefixes, as git prints it) of applying
 * `applied` to `before`: each suggestion is a hunk of known lines, so no diff algorithm is needed.
 */
export function unifiedDiff(path: string, before: string, applied: readonly Suggestion[]): string {
  const CONTEXT = 3;
  const a = before.split(/\r?\n/);
  const changes = [...applied].sort((x, y) => x.line - y.line).map((s) => ({ from: s.line - 1, to: s.endLine, lines: s.text.split(/\r?\n/) }));
  const out = [`--- a/${path}`, `+++ b/${path}`];
  let shift = 0; // new line number minus old, before the current group
  for (let g = 0; g < changes.length; ) {
    let last = g;
    while (last + 1 < changes.length && changes[last + 1]!.from - changes[last]!.to <= CONTEXT * 2) last++;
    const aFrom = Math.max(0, changes[g]!.from - CONTEXT);
    const aTo = Math.min(a.length, changes[last]!.to + CONTEXT);
    const body: string[] = [];
    let at = aFrom;
    let added = 0;
    for (let k = g; k <= last; k++) {
      const c = changes[k]!;
      for (; at < c.from; at++) body.push(` ${a[at]}`);
      for (let x = c.from; x < c.to; x++) body.push(`-${a[x]}`);
      for (const line of c.lines) body.push(`+${line}`);
      added += c.lines.length - (c.to - c.from);
      at = c.to;
    }
    for (; at < aTo; at++) body.push(` ${a[at]}`);
    out.push(`@@ -${aFrom + 1},${aTo - aFrom} +${aFrom + 1 + shift},${aTo - aFrom + added} @@`, ...body);
    shift += added;
    g = last + 1;
  }
  return `${out.join("\n")}\n`;
}
