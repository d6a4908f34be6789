import { contextClassifier, type CodeContext } from "./context.js";
import { languageOf } from "./language.js";

/**
 * Folders of code no one of the repository wrote: installed packages and virtualenvs. Whole-tree
 * scans and reviews skip them and say so.
 */
const VENDORED = new Set(["node_modules", "bower_components", "jspm_packages", "vendor", "site-packages", "__pypackages__", ".venv", "venv", ".tox", ".nox"]);
/** Build output: skipped where the sources it was built from sit beside it. */
const BUILD_OUTPUT = new Set(["dist", "build"]);
const SOURCE_FOLDERS = ["src", "source", "lib"];
/** Minified file names: `app.min.js`, `vendor-bundle.min.mjs`. */
const MINIFIED_NAME = /\.min\.[cm]?js$/i;
/** Hand-written code averages well under this many characters a line; minified bundles run to thousands. */
const MINIFIED_LINE_LENGTH = 200;

/**
 * True for a folder of vendored code or build output, by its name and what sits beside it
 * (`siblings`: the names in the folder that holds it): `node_modules`, `vendor`, `site-packages`,
 * a virtualenv (`.venv`, `venv`, or any folder with a `pyvenv.cfg`), and `dist` or `build` beside
 * a `src`, `source` or `lib` folder.
 */
export function isVendoredFolder(name: string, siblings: ReadonlySet<string>, children: () => readonly string[]): boolean {
  if (VENDORED.has(name)) return true;
  if (BUILD_OUTPUT.has(name) && SOURCE_FOLDERS.some((s) => siblings.has(s))) return true;
  return children().includes("pyvenv.cfg");
}

/** True for a path inside a folder `isVendoredFolder` calls vendored by its name alone (a changed file of a pull request has no siblings to read). */
export function inVendoredFolder(path: string): boolean {
  return path.split("/").slice(0, -1).some((segment) => VENDORED.has(segment));
}

const byLayout = contextClassifier();

/** True for a path inside `dist` or `build` output beside a source folder (as `isVendoredFolder` tells), given the folders of the tree. */
export function inBuildOutput(path: string, hasFolder: (path: string) => boolean): boolean {
  const parts = path.split("/");
  for (let i = 0; i < parts.length - 1; i++) {
    if (!BUILD_OUTPUT.has(parts[i]!)) continue;
    const parent = parts.slice(0, i).join("/");
    if (SOURCE_FOLDERS.some((s) => hasFolder(parent ? `${parent}/${s}` : s))) return true;
  }
  return false;
}

/**
 * Why a file was not written by hand, or undefined when it was (as far as its name and text
 * tell): "minified" for a minified JavaScript bundle (a `.min.js` name, or a JavaScript file whose
 * lines run to more than 200 characters on average; TypeScript is source, never a bundle, so a
 * `.ts` file with long lines is still read: skipping it would let anyone hide code from review); "generated" for code in the "generated" context, by the same
 * classifier findings are placed with (a `// @generated` marker in its first lines; `contextOf`
 * adds a repository's own globs).
 */
export function machineWritten(path: string, text: string, contextOf: (path: string, text: string) => CodeContext = byLayout): "minified" | "generated" | undefined {
  const language = languageOf(path);
  if (language === "javascript" || language === "typescript") {
    if (MINIFIED_NAME.test(path)) return "minified";
    if (language === "javascript" && text.length >= 1024 && text.length / lineCount(text) > MINIFIED_LINE_LENGTH) return "minified";
  }
  return contextOf(path, text) === "generated" ? "generated" : undefined;
}

function lineCount(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
