import { isProjectConfig, languageOf } from "./language.js";
import { resolveRelative } from "./python/module-paths.js";
import { isPythonMcpServer } from "./python/server-text.js";

/**
 * Module specifiers of a TypeScript or JavaScript file, read more widely than the engine reads
 * them (any quote, comments before the specifier): a unit must hold every file an import can name.
 * Anchored on the keyword, so a quote inside another string cannot shift the reading.
 */
const TS_SPECIFIER = /\b(?:from|import|require)\s*\(?\s*(?:\/\*[^]*?\*\/\s*)*(["'`])([^"'`\n]+)\1/g;
/**
 * Python import statements, wherever they sit (in functions, after `;` or `:`), with parenthesized
 * and backslash-continued name lists. Text in strings that looks like an import only adds a link.
 */
const PY_IMPORT = /(?:^|[;:])[ \t]*(?:from(?:[ \t]|\\\r?\n)+([.\w]+)(?:[ \t]|\\\r?\n)+import(?:[ \t]|\\\r?\n)+(\([^)]*\)|(?:[^\n\\;]|\\\r?\n)*)|import(?:[ \t]|\\\r?\n)+((?:[^\n\\;]|\\\r?\n)*))/gm;
/** A Python class statement with anything in its parentheses: a base, a metaclass. Any name, in any block. */
const DERIVES = /^[ \t]*class[ \t]+[^\s(:]+[ \t]*\(\s*[^)\s]/m;

/** What planning needs of one file, read from its text once so that the text can be let go. */
export interface FileFacts {
  path: string;
  lines: number;
  /** Module specifiers as TypeScript and JavaScript write them (the engine reads them in any file it reads). */
  specifiers: readonly string[];
  /** Python: absolute imports, as the dotted names the engine resolves (`ImportBinding.qualified`). */
  imports?: readonly string[];
  /** Python: modules named by relative imports, as paths without extension (`pkg/helpers`, `pkg/helpers/run`). */
  relative?: readonly string[];
  /** Python: the file imports the MCP SDK or fastmcp (or serves JSON-RPC by hand). */
  mcpServer?: boolean;
  /** Python: the file defines a class with a base (or a metaclass): its methods may override another module's. */
  derives?: boolean;
  /** tsconfig and jsconfig files: their text, for import aliases. */
  text?: string;
}

/** Reads what planning needs from one file. */
export function factsOf(path: string, text: string): FileFacts {
  const lines = countLines(text);
  if (isProjectConfig(path)) return { path, lines, specifiers: [], text };
  const specifiers = new Set<string>();
  for (const match of text.matchAll(TS_SPECIFIER)) specifiers.add(match[2]!);
  if (languageOf(path) === "python") {
    const imports = new Set<string>();
    const relative = new Set<string>();
    for (const match of text.matchAll(PY_IMPORT)) {
      const from = match[1];
      const names = (match[2] ?? match[3] ?? "")
        .replace(/[()\\\r\n]/g, " ")
        .split(",")
        .map((part) => part.trim().split(/\s+/))
        .filter(([name]) => /^[\w.]+$/.test(name!));
      if (from === undefined) {
        // `import a.b.c` binds `a`; `import a.b.c as d` binds the whole name (module.ts, readImports).
        for (const [name, as] of names) imports.add(as === "as" ? name! : name!.split(".")[0]!);
      } else if (from.startsWith(".")) {
        const base = resolveRelative(path, from);
        relative.add(base);
        for (const [name] of names) relative.add(base ? `${base}/${name}` : name!);
      } else {
        for (const [name] of names) imports.add(`${from}.${name}`);
      }
    }
    return detached({ path, lines, specifiers: [...specifiers], imports: [...imports], relative: [...relative], mcpServer: isPythonMcpServer(text), derives: DERIVES.test(text) });
  }
  return detached({ path, lines, specifiers: [...specifiers] });
}

/** A copy whose strings do not share the file's text: a matched substring would keep all of it alive. */
function detached(facts: FileFacts): FileFacts {
  return JSON.parse(JSON.stringify(facts)) as FileFacts;
}

/** Lines of a text as the stats count them (an empty text has none). */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
