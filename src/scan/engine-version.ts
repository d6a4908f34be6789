import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Packages whose version changes what the engine reads: the parsers. */
const PARSERS = ["typescript", "ts-morph", "web-tree-sitter", "tree-sitter-python"];

let version: string | undefined;

/**
 * A digest of the code that decides findings: the engine, the rules (with their data, such as the
 * advisories a dependency is checked against) and the parsers' versions.
 * Cached results are keyed by it, so a build with any change to them never reads a result
 * another build wrote.
 */
export function engineVersion(): string {
  if (version) return version;
  const hash = createHash("sha256");
  for (const dir of [fileURLToPath(new URL("../engine/", import.meta.url)), fileURLToPath(new URL("../../rules/", import.meta.url))]) {
    for (const file of codeFiles(dir)) hash.update(file.slice(dir.length)).update("\0").update(readFileSync(file)).update("\0");
  }
  const require = createRequire(import.meta.url);
  for (const name of PARSERS) hash.update(`${name}@${packageVersionOf(require.resolve(name), name)}\0`);
  version = hash.digest("hex").slice(0, 16);
  return version;
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "fixtures") out.push(...codeFiles(full));
    } else if (/\.(?:[cm]?js|ts|json)$/.test(entry.name) && !entry.name.endsWith(".map")) {
      out.push(full);
    }
  }
  return out;
}

/** The version in the package.json above a package's entry point (some packages do not export their package.json). */
function packageVersionOf(entry: string, name: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (json.name === name) return json.version ?? "";
  }
  return "";
}
