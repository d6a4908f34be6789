import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addedFileContent, allLines, baseFromPatch, parsePatch } from "../../src/review/diff-lines.js";

describe("parsePatch", () => {
  it("numbers right-side lines across hunks, separating added from context", () => {
    const patch = [
      "@@ -1,4 +1,5 @@",
      " import a",
      "-const x = 1;",
      "+const x = 2;",
      "+const y = 3;",
      " ",
      " export {}",
      "@@ -20,3 +21,3 @@ function f() {",
      " a();",
      "-b();",
      "+c();",
      "\\ No newline at end of file",
    ].join("\n");
    const { added, commentable } = parsePatch(patch);
    expect([...added]).toEqual([2, 3, 22]);
    expect([...commentable].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 21, 22]);
  });

  it("handles a hunk header without counts and an empty patch", () => {
    expect([...parsePatch("@@ -1 +1 @@\n-a\n+b").added]).toEqual([1]);
    expect(parsePatch("").added.size).toBe(0);
  });
});

describe("allLines", () => {
  it("covers every line of a file", () => {
    expect([...allLines("a\nb\nc\n").added]).toEqual([1, 2, 3, 4]);
    expect(allLines("").added.size).toBe(0);
  });
});

describe("addedFileContent", () => {
  it("reads a new file's text back from its patch, with or without a final newline", () => {
    expect(addedFileContent("@@ -0,0 +1,3 @@\n+const a = 1;\n+\n+export { a };")).toBe("const a = 1;\n\nexport { a };\n");
    expect(addedFileContent("@@ -0,0 +1,2 @@\n+a\r\n+b\n\\ No newline at end of file")).toBe("a\r\nb");
    expect(addedFileContent("@@ -0,0 +1 @@\n+only")).toBe("only\n");
  });

  it("refuses anything that is not a whole new file", () => {
    expect(addedFileContent("@@ -1,2 +1,2 @@\n-a\n+b\n c")).toBeUndefined();
    expect(addedFileContent("@@ -0,0 +1,2 @@\n+a\n b")).toBeUndefined();
    expect(addedFileContent("Binary files differ")).toBeUndefined();
  });
});

/** The patch GitHub would show from `before` to `after`: git's own unified diff, headers dropped. */
function gitPatch(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), "patch-"));
  try {
    writeFileSync(join(dir, "a"), before);
    writeFileSync(join(dir, "b"), after);
    const { stdout, status } = spawnSync("git", ["diff", "--no-index", "--no-color", "-U3", "a", "b"], { cwd: dir, encoding: "utf8" });
    if (status !== 0 && status !== 1) throw new Error(`git diff failed with ${status}`);
    const start = stdout.indexOf("@@");
    return start < 0 ? "" : stdout.slice(start).replace(/\n$/, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("baseFromPatch", () => {
  const FILE = Array.from({ length: 30 }, (_, i) => (i % 7 === 3 ? "" : `line ${i + 1};`)).join("\n") + "\n";

  it("puts each hunk back, for edits at the start, middle and end and across several hunks", () => {
    const lines = FILE.split("\n");
    const edits: Array<[string, string]> = [
      [FILE, lines.map((l, i) => (i === 0 ? "changed first" : l)).join("\n")],
      [FILE, lines.map((l, i) => (i === 15 ? "changed middle" : l)).join("\n")],
      [FILE, FILE.replace("line 30;", "line thirty;")],
      [FILE, lines.filter((_, i) => i !== 2 && i !== 20).join("\n")],
      [FILE, ["new head", ...lines.slice(0, 12), "inserted", ...lines.slice(12), ""].join("\n").replace(/\n\n$/, "\n")],
      [FILE, FILE + "appended 1\nappended 2\n"],
      [FILE + "trailer 1\ntrailer 2\n", FILE],
      [FILE, ""],
      ["", FILE],
    ];
    for (const [before, after] of edits) expect(baseFromPatch(after, gitPatch(before, after))).toBe(before);
  });

  it("keeps track of the final newline on either side, and of CRLF lines", () => {
    const noEol = FILE.slice(0, -1);
    expect(baseFromPatch(FILE, gitPatch(noEol, FILE))).toBe(noEol);
    expect(baseFromPatch(noEol, gitPatch(FILE, noEol))).toBe(FILE);
    expect(baseFromPatch(noEol + " // edited", gitPatch(noEol, noEol + " // edited"))).toBe(noEol);
    const crlf = FILE.replace(/\n/g, "\r\n");
    const crlfEdited = crlf.replace("line 9;", "line nine;");
    expect(baseFromPatch(crlfEdited, gitPatch(crlf, crlfEdited))).toBe(crlf);
  });

  it("agrees with git over many random edits", () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let round = 0; round < 40; round++) {
      const before = FILE.split("\n");
      const after = [...before];
      for (let edit = random(6); edit >= 0; edit--) {
        const at = random(after.length);
        const kind = random(3);
        if (kind === 0) after.splice(at, 1);
        else if (kind === 1) after.splice(at, 0, `added ${round}.${edit}`);
        else after[at] = `changed ${round}.${edit}`;
      }
      const text = after.join("\n");
      expect(baseFromPatch(text, gitPatch(FILE, text))).toBe(FILE);
    }
  });

  it("accepts blank context lines whose leading space a transport trimmed", () => {
    const after = FILE.replace("line 5;", "line five;");
    const patch = gitPatch(FILE, after);
    expect(patch).toMatch(/\n \n/);
    expect(baseFromPatch(after, patch.replace(/\n \n/g, "\n\n"))).toBe(FILE);
  });

  it("refuses a patch that does not match the text, so the caller fetches the file", () => {
    const after = FILE.replace("line 5;", "line five;");
    const patch = gitPatch(FILE, after);
    expect(baseFromPatch(after.replace("line 6;", "line 6 changed later;"), patch)).toBeUndefined();
    expect(baseFromPatch(after, patch.split("\n").slice(0, -2).join("\n"))).toBeUndefined();
    expect(baseFromPatch(after.replace(/\n/g, "\r\n"), patch)).toBeUndefined();
    expect(baseFromPatch(after, "Binary files differ")).toBeUndefined();
  });

  it("gives the same text back for an empty patch (a rename without changes)", () => {
    expect(baseFromPatch(FILE, "")).toBe(FILE);
  });
});
