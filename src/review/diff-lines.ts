/** Lines of the new version of a file, as a pull request's diff shows them. */
export interface DiffLines {
  /** Lines the pull request adds or changes: findings here count against it. */
  added: Set<number>;
  /** Every right-side line in the diff (added and context): GitHub accepts review comments on these. */
  commentable: Set<number>;
}

const HUNK_HEADER = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Parse a unified diff `patch` (as the pull request files API returns it) into line sets. */
export function parsePatch(patch: string): DiffLines {
  const added = new Set<number>();
  const commentable = new Set<number>();
  let line = 0;
  let inHunk = false;
  for (const text of patch.split("\n")) {
    const header = HUNK_HEADER.exec(text);
    if (header) {
      line = Number(header[1]);
      inHunk = true;
      continue;
    }
    if (!inHunk) continue;
    const marker = text[0];
    if (marker === "+") {
      added.add(line);
      commentable.add(line);
      line++;
    } else if (marker === " ") {
      commentable.add(line);
      line++;
    } else if (marker === "" && text === "") {
      // A blank context line whose leading space was trimmed by a transport.
      commentable.add(line);
      line++;
    }
    // "-" lines belong to the old file; "\ No newline at end of file" is no line at all.
  }
  return { added, commentable };
}

/** Every line of a new file, for added files whose patch GitHub left out because it was too large. */
export function allLines(content: string): DiffLines {
  const count = content.length === 0 ? 0 : content.split("\n").length;
  const lines = new Set<number>();
  for (let i = 1; i <= count; i++) lines.add(i);
  return { added: lines, commentable: new Set(lines) };
}

/**
 * The whole text of an added file, read back from its patch: GitHub's patch for a new file is
 * every line prefixed with "+" (it leaves the patch out when the diff is too large, never cuts
 * it). Undefined when the patch is not of that shape, and the file must be fetched.
 */
export function addedFileContent(patch: string): string | undefined {
  const lines = patch.split("\n");
  if (!/^@@ -0,0 \+1(?:,\d+)? @@/.test(lines[0] ?? "")) return undefined;
  const out: string[] = [];
  let finalNewline = true;
  for (const line of lines.slice(1)) {
    if (line.startsWith("+")) out.push(line.slice(1));
    else if (line === "\\ No newline at end of file") finalNewline = false;
    else return undefined;
  }
  return out.join("\n") + (finalNewline && out.length > 0 ? "\n" : "");
}

const HUNK_RANGES = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

interface Hunk {
  newStart: number;
  oldLines: string[];
  newLines: string[];
  /** "\ No newline at end of file" followed the old side's last line, or the new side's. */
  oldNoEol: boolean;
  newNoEol: boolean;
}

/**
 * The old version of a modified file, from its new text and the patch between them: every hunk's
 * new lines are put back to its old lines. The pull request's patch runs from the merge base, so
 * this is the file as the branch found it. Each hunk is checked against the text, line by line;
 * undefined when anything does not match (a patch cut short, line endings a transport changed),
 * and the caller fetches the file instead.
 */
export function baseFromPatch(head: string, patch: string): string | undefined {
  const hunks = parseHunks(patch);
  if (!hunks) return undefined;
  const headEol = head.endsWith("\n");
  const lines = head === "" ? [] : (headEol ? head.slice(0, -1) : head).split("\n");
  const out: string[] = [];
  let next = 0; // index in `lines` of the first line not yet copied
  let baseEol = headEol;
  for (const hunk of hunks) {
    // A hunk that adds nothing names the line before it; one that adds lines names its first.
    const start = hunk.newLines.length === 0 ? hunk.newStart : hunk.newStart - 1;
    if (start < next || start + hunk.newLines.length > lines.length) return undefined;
    for (let i = 0; i < hunk.newLines.length; i++) if (lines[start + i] !== hunk.newLines[i]) return undefined;
    out.push(...lines.slice(next, start), ...hunk.oldLines);
    next = start + hunk.newLines.length;
    if (hunk.newNoEol && (headEol || next !== lines.length)) return undefined;
    // The end of the file is in this hunk: the old side's final newline is the patch's to say.
    if (next === lines.length) baseEol = !hunk.oldNoEol;
  }
  out.push(...lines.slice(next));
  if (out.length === 0) return "";
  return out.join("\n") + (baseEol ? "\n" : "");
}

/** A patch's hunks, read by their counts; undefined when the text does not add up. */
function parseHunks(patch: string): Hunk[] | undefined {
  const hunks: Hunk[] = [];
  const text = patch.split("\n");
  let i = 0;
  while (i < text.length) {
    const header = HUNK_RANGES.exec(text[i]!);
    if (!header) {
      if (text[i] === "" && i === text.length - 1) break; // a final newline after the patch
      return undefined;
    }
    i++;
    let oldLeft = header[2] === undefined ? 1 : Number(header[2]);
    let newLeft = header[4] === undefined ? 1 : Number(header[4]);
    const hunk: Hunk = { newStart: Number(header[3]), oldLines: [], newLines: [], oldNoEol: false, newNoEol: false };
    let last: "old" | "new" | "both" | undefined;
    while (i < text.length && (oldLeft > 0 || newLeft > 0 || text[i]!.startsWith("\\"))) {
      const line = text[i]!;
      const marker = line[0];
      if (marker === "\\") {
        if (last === undefined) return undefined;
        if (last !== "new") hunk.oldNoEol = true;
        if (last !== "old") hunk.newNoEol = true;
      } else if (marker === "-" && oldLeft > 0) {
        hunk.oldLines.push(line.slice(1));
        oldLeft--;
        last = "old";
      } else if (marker === "+" && newLeft > 0) {
        hunk.newLines.push(line.slice(1));
        newLeft--;
        last = "new";
      } else if ((marker === " " || line === "") && oldLeft > 0 && newLeft > 0) {
        // A blank context line may arrive with its leading space trimmed.
        const context = line.slice(1);
        hunk.oldLines.push(context);
        hunk.newLines.push(context);
        oldLeft--;
        newLeft--;
        last = "both";
      } else return undefined;
      i++;
    }
    if (oldLeft > 0 || newLeft > 0) return undefined;
    hunks.push(hunk);
  }
  return hunks;
}
