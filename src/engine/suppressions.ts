/**
 * Inline suppressions: `mcp-review-ignore <rule-id>[, <rule-id>...] -- <reason>` in a `//` or `#`
 * comment, at the end of the flagged line or on a comment line above it. The reason is required:
 * a suppression without one silences nothing and is itself reported.
 */
export interface Suppression {
  ruleIds: string[];
  /** Empty when the comment gives no reason. */
  reason: string;
  /** 1-based line of the comment. */
  line: number;
  /** 1-based lines whose findings it silences. */
  targets: number[];
  /** Offset and length of the directive in the file's text, for reporting it. */
  offset: number;
  length: number;
}

const DIRECTIVE = /(?:\/\/|#)\s*mcp-review-ignore\b([^\n]*)/;

/** Every suppression comment of a file, with the lines it applies to. */
export function findSuppressions(text: string): Suppression[] {
  const lines = text.split("\n");
  const out: Suppression[] = [];
  let offset = 0;
  const starts: number[] = [];
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const commentOnly = (i: number) => /^\s*(?:\/\/|#)/.test(lines[i] ?? "");
  lines.forEach((line, i) => {
    const m = DIRECTIVE.exec(line);
    if (!m) return;
    const body = m[1]!.replace(/\*\/\s*$/, "").trim();
    const sep = body.indexOf("--");
    const ids = (sep >= 0 ? body.slice(0, sep) : body).split(/[\s,]+/).filter((s) => /^[a-z0-9-]+$/.test(s));
    const reason = sep >= 0 ? body.slice(sep + 2).trim() : "";
    let targets: number[];
    if (commentOnly(i)) {
      // A comment line above: it applies to the next line that is not itself a comment.
      let next = i + 1;
      while (next < lines.length && commentOnly(next)) next++;
      targets = next < lines.length ? [next + 1] : [];
    } else {
      targets = [i + 1];
    }
    out.push({ ruleIds: ids, reason, line: i + 1, targets, offset: starts[i]! + m.index, length: m[0].trimEnd().length });
  });
  return out;
}

/** The suppression that silences a finding of `ruleId` on `line`, if one with a reason does. */
export function suppressionFor(suppressions: readonly Suppression[], ruleId: string, line: number): Suppression | undefined {
  return suppressions.find((s) => s.reason !== "" && s.ruleIds.includes(ruleId) && s.targets.includes(line));
}
