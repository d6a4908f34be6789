import { addedFileContent, allLines, parsePatch } from "../../src/review/diff-lines.js";

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
