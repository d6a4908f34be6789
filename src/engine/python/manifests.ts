import { normalizePypi, parseDependencies, type Dependency } from "../config/manifest.js";

/**
 * The dependency manifests and lockfiles of an analysis (`pyproject.toml`, `requirements*.txt`,
 * `uv.lock`), so that a Python check can ask which version of a package a module runs with.
 * Parsed on first use.
 */
export class PythonManifests {
  private readonly parsed = new Map<string, Dependency[]>();

  constructor(private readonly manifests: ReadonlyMap<string, string>) {}

  /**
   * What the manifests nearest to a module declare for a PyPI package: those of the module's own
   * directory or its closest ancestor that declares the package, exact pins (a lockfile, `==`) first.
   * Empty when no manifest of the analysis names it.
   */
  declared(modulePath: string, pkg: string): Dependency[] {
    const name = normalizePypi(pkg);
    const dirs = modulePath.split("/").slice(0, -1);
    for (let i = dirs.length; i >= 0; i--) {
      const dir = dirs.slice(0, i).join("/");
      const here: Dependency[] = [];
      for (const path of this.manifests.keys()) {
        const slash = path.lastIndexOf("/");
        if ((slash < 0 ? "" : path.slice(0, slash)) !== dir) continue;
        here.push(...this.dependencies(path).filter((d) => d.ecosystem === "pypi" && d.name === name));
      }
      if (here.length > 0) return here.sort((a, b) => Number(b.exact) - Number(a.exact));
    }
    return [];
  }

  private dependencies(path: string): Dependency[] {
    let deps = this.parsed.get(path);
    if (!deps) this.parsed.set(path, (deps = parseDependencies(path, this.manifests.get(path)!)));
    return deps;
  }
}
