import { createRequire } from "node:module";
import { Language, Parser, type Node, type Tree } from "web-tree-sitter";

/** A node of a Python syntax tree (tree-sitter). Positions are 0-based rows and UTF-16 columns. */
export type PyNode = Node;
export type PyTree = Tree;

// web-tree-sitter only initializes asynchronously; doing it once at module load keeps analyze()
// synchronous for its callers. The grammar is the wasm file the tree-sitter-python package ships.
const require = createRequire(import.meta.url);
await Parser.init();
const PYTHON = await Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
const parser = new Parser();
parser.setLanguage(PYTHON);

/** Parses Python source. The tree lives in WebAssembly memory: call `tree.delete()` when done. */
export function parsePython(text: string): PyTree {
  const tree = parser.parse(text);
  if (!tree) throw new Error("tree-sitter returned no tree");
  return tree;
}

/** "line N: message" for the first syntax error of a tree, or undefined when the file parses. */
export function firstPythonSyntaxError(tree: PyTree): string | undefined {
  if (!tree.rootNode.hasError) return undefined;
  const cursor = tree.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isMissing) return `line ${node.startPosition.row + 1}: missing ${JSON.stringify(node.type)}`;
      if (node.type === "ERROR") {
        // Error recovery often wraps a whole statement; a nested ERROR marks where parsing failed.
        const inner = node.descendantsOfType("ERROR").find((e) => e && e.id !== node.id && e.text.trim()) ?? node;
        const text = (inner.id === node.id ? inner.text : (inner.parent ?? inner).text).split("\n")[0]!.trim();
        return `line ${inner.startPosition.row + 1}: invalid syntax${text ? ` near ${JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text)}` : ""}`;
      }
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return "line 1: invalid syntax";
    }
  } finally {
    cursor.delete();
  }
}

/**
 * The nearest strict ancestor of a node whose type passes `wanted`, or null. Remembered for the
 * node and every ancestor passed on the way up, so that the next node below stops at the first
 * ancestor already seen: reading a parent or a type is a call into WebAssembly.
 */
export function nearestAncestor(wanted: (type: string) => boolean): (node: PyNode) => PyNode | null {
  const byTree = new WeakMap<PyTree, Map<number, PyNode | null>>();
  return (node) => {
    let memo = byTree.get(node.tree);
    if (!memo) byTree.set(node.tree, (memo = new Map()));
    const known = memo.get(node.id);
    if (known !== undefined) return known;
    const below: PyNode[] = [node];
    let found: PyNode | null = null;
    for (let n = node.parent; n; n = n.parent) {
      if (wanted(n.type)) {
        found = n;
        break;
      }
      const seen = memo.get(n.id);
      if (seen !== undefined) {
        found = seen;
        break;
      }
      below.push(n);
    }
    for (const n of below) memo.set(n.id, found);
    return found;
  };
}

/**
 * Memoizes a question about a node for as long as its tree lives. Trees are never edited, so the
 * answer for a node never changes; asking again would cross into WebAssembly and allocate nodes.
 * The answer is shared: callers must not mutate it.
 */
export function perNode<T>(compute: (node: PyNode) => T): (node: PyNode) => T {
  const byTree = new WeakMap<PyTree, Map<number, T>>();
  return (node) => {
    let memo = byTree.get(node.tree);
    if (!memo) byTree.set(node.tree, (memo = new Map()));
    const known = memo.get(node.id);
    if (known !== undefined || memo.has(node.id)) return known as T;
    const value = compute(node);
    memo.set(node.id, value);
    return value;
  };
}
