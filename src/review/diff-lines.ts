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
