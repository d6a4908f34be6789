import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * What an organization scan's results depend on besides the files: the engine and the rules, as
 * code. It is the package version and a hash of the engine's and the rules' own files (the built
 * JavaScript in production, the TypeScript under test), so any change to either, released or not,
 * gives a new version: stored results of the old one are not reused, and every repository is
 * rescanned. Read from disk, never by loading the engine.
 */
export function engineVersion(): string {
  if (cached) return cached;
  const hash = createHash("sha256");
  const here = fileURLToPath(new URL(".", import.meta.url));
  for (const dir of [join(here, "..", "engine"), join(here, "..", "..", "rules")]) {
    for (const file of listFiles(dir)) {
      hash.update(file.slice(dir.length));
      hash.update(readFileSync(file));
    }
  }
  cached = `${packageVersion(here)}+${hash.digest("hex").slice(0, 12)}`;
  return cached;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === "fixtures" || name.endsWith(".map") || name.endsWith(".md")) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else if (/\.(?:[cm]?[jt]s|json)$/.test(name)) out.push(full);
  }
  return out;
}

function packageVersion(from: string): string {
  for (let dir = from, i = 0; i < 5; i++, dir = join(dir, "..")) {
    try {
      return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
    } catch {
      // not here: one folder up
    }
  }
  return "0.0.0";
}
