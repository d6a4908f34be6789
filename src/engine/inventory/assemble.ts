import { contextClassifier } from "../context.js";
import type { Finding, SkippedFile } from "../types.js";
import { INVENTORY_FORMAT, type Coverage, type FileFacts, type HttpProtections, type Inventory, type InventoryServer, type InventoryTool, type McpTransport } from "./types.js";

const contextOf = contextClassifier();
const isTestPath = (path: string) => contextOf(path) === "test";

/** How far (in imports) a server looks for the transports and the HTTP app of another module. */
const LINK_DEPTH = 4;

/**
 * Puts file facts together: servers get the transports and HTTP facts of their own module, or of
 * the modules imports join them to (a server built in one file and served in another); tools
 * registered away from their server are given the nearest one, or the only one.
 */
export function assembleInventory(facts: readonly FileFacts[], coverage: Partial<Pick<Coverage, "notRead" | "notes" | "filesRead">>, links: (path: string) => readonly string[] = () => []): Inventory {
  const byPath = new Map(facts.map((f) => [f.path, f]));
  const neighbours = undirected(facts.map((f) => f.path), links);
  const servers: InventoryServer[] = [];
  const hasServer = new Set(facts.filter((f) => f.servers.length > 0).map((f) => f.path));
  const hasTransports = (p: string) => (byPath.get(p)?.transports.length ?? 0) > 0;
  for (const f of facts) {
    for (const s of f.servers) {
      let transports = new Set<McpTransport>(f.transports);
      let http: HttpProtections | undefined = f.http;
      // A server without transports of its own is served where imports lead. One with its own
      // (stdio) may also be handed to helpers that serve it over HTTP (`startSSEServer(server)` in
      // a module without a server of its own): their transports are its transports too.
      const near = transports.size === 0 ? nearest(f.path, neighbours, hasTransports) : imported(f.path, links, (p) => hasTransports(p) && !hasServer.has(p), (p) => !hasServer.has(p) && byPath.has(p));
      for (const path of near) {
        const other = byPath.get(path)!;
        for (const t of other.transports) transports.add(t);
        if (other.http) http = http ? mergeHttp(http, other.http) : other.http;
      }
      if (transports.size === 0) transports = new Set();
      const server: InventoryServer = { ...s, transports: [...transports].sort() };
      if (transports.has("sse") || transports.has("streamable-http")) server.http = http ?? { listen: [], auth: "unknown", hostValidation: false, cors: "none", endpoints: [] };
      servers.push(server);
    }
  }
  const ids = new Set(servers.map((s) => s.id));
  const tools: InventoryTool[] = [];
  for (const f of facts) {
    for (const t of f.tools) {
      if (t.server && ids.has(t.server)) {
        tools.push(t);
        continue;
      }
      const own = servers.filter((s) => s.path === f.path);
      let near = own.length === 1 ? own : nearest(f.path, neighbours, (p) => servers.some((s) => s.path === p)).flatMap((p) => servers.filter((s) => s.path === p));
      // A tool module imported by the server and by tests that build servers of their own belongs to the server of its own kind of code.
      if (near.length > 1) near = near.filter((s) => isTestPath(s.path) === isTestPath(f.path));
      const server = near.length === 1 ? near[0] : servers.length === 1 ? servers[0] : undefined;
      const { server: _unknown, ...rest } = t;
      tools.push(server ? { ...rest, server: server.id } : rest);
    }
  }
  const analyzed = facts.filter((f) => f.analyzed);
  const notRead: SkippedFile[] = [...(coverage.notRead ?? []), ...facts.flatMap((f) => (f.skipped ? [f.skipped] : []))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    format: INVENTORY_FORMAT,
    servers: servers.sort(byLocation),
    tools: tools.sort((a, b) => byLocation(a, b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    configs: facts.flatMap((f) => f.configs).sort((a, b) => (a.path < b.path ? -1 : 1)),
    dependencies: facts.flatMap((f) => f.dependencies).sort((a, b) => byLocation(a, b) || (a.name < b.name ? -1 : 1)),
    findings: facts.flatMap((f) => f.findings).sort(compareFindings),
    coverage: {
      filesRead: coverage.filesRead ?? facts.length,
      filesAnalyzed: analyzed.length,
      linesAnalyzed: analyzed.reduce((n, f) => n + f.lines, 0),
      notRead,
      ruleErrors: facts.flatMap((f) => f.ruleErrors),
      notes: coverage.notes ?? [],
    },
  };
}

/** A server served by several HTTP modules: every listen address and endpoint, and the weakest protection of them. */
function mergeHttp(a: HttpProtections, b: HttpProtections): HttpProtections {
  return {
    listen: [...a.listen, ...b.listen],
    auth: a.auth === false || b.auth === false ? false : a.auth === "unknown" || b.auth === "unknown" ? "unknown" : true,
    hostValidation: a.hostValidation && b.hostValidation,
    cors: a.cors === "wildcard" || b.cors === "wildcard" ? "wildcard" : a.cors === "restricted" || b.cors === "restricted" ? "restricted" : "none",
    endpoints: [...a.endpoints, ...b.endpoints],
  };
}

function undirected(paths: readonly string[], links: (path: string) => readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>(paths.map((p) => [p, new Set()]));
  for (const path of paths) {
    for (const target of links(path)) {
      if (!out.has(target) || target === path) continue;
      out.get(path)!.add(target);
      out.get(target)!.add(path);
    }
  }
  return out;
}

/** The files nearest to `from` (by imports, either way, within LINK_DEPTH) that satisfy `wanted`; `from` itself excluded. */
function nearest(from: string, graph: ReadonlyMap<string, ReadonlySet<string>>, wanted: (path: string) => boolean): string[] {
  const seen = new Set([from]);
  let frontier = [from];
  for (let depth = 0; depth < LINK_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const path of frontier) for (const n of graph.get(path) ?? []) if (!seen.has(n)) seen.add(n), next.push(n);
    const hits = next.filter(wanted);
    if (hits.length > 0) return hits.sort();
    frontier = next;
  }
  return [];
}

/** The modules `from` imports (directly or through modules `through` allows, within LINK_DEPTH) that satisfy `wanted`. */
function imported(from: string, links: (path: string) => readonly string[], wanted: (path: string) => boolean, through: (path: string) => boolean): string[] {
  const seen = new Set([from]);
  const hits: string[] = [];
  let frontier = [from];
  for (let depth = 0; depth < LINK_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const path of frontier) {
      for (const target of links(path)) {
        if (seen.has(target)) continue;
        seen.add(target);
        if (wanted(target)) hits.push(target);
        else if (through(target)) next.push(target);
      }
    }
    frontier = next;
  }
  return hits.sort();
}

function byLocation(a: { path: string; line: number }, b: { path: string; line: number }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line;
}

function compareFindings(a: Finding, b: Finding): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

