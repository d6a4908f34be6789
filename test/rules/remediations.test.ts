import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/run-cli.js";
import { analyze } from "../../src/engine/analyze.js";
import type { Finding, SourceInput } from "../../src/engine/types.js";

const RULES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../../rules");
/** Fixtures stand for a server's own code: read as production, though they sit in `fixtures/`. */
const AS_PRODUCTION = { paths: { production: ["**"] } };
const CODE_BLOCK = /```(\w+)\n([\s\S]*?)```/g;
/** Where a snippet of each language is read, so that the engine reads it as that language. */
const SNIPPET_PATH: Record<string, string> = { ts: "snippet.ts", typescript: "snippet.ts", js: "snippet.js", javascript: "snippet.js", python: "snippet.py", py: "snippet.py", json: ".vscode/mcp.json", jsonc: ".vscode/mcp.json" };

function filesUnder(dir: string, sub = ""): string[] {
  return readdirSync(join(dir, sub))
    .sort()
    .flatMap((name) => (statSync(join(dir, sub, name)).isDirectory() ? filesUnder(dir, sub ? `${sub}/${name}` : name) : [sub ? `${sub}/${name}` : name]));
}

/** Each fixture case (a file, or a folder analyzed together) of every rule, as the fixture test reads them. */
const cases: { name: string; files: SourceInput[] }[] = readdirSync(RULES_DIR)
  .filter((rule) => statSync(join(RULES_DIR, rule)).isDirectory())
  .flatMap((rule) => {
    const dir = join(RULES_DIR, rule, "fixtures");
    return readdirSync(dir)
      .filter((name) => !/\.before\.[^./]+$/.test(name))
      .sort()
      .map((name) => {
        const names = statSync(join(dir, name)).isDirectory() ? filesUnder(dir, name) : [name];
        return { name: `${rule}/${name}`, files: names.map((n) => ({ path: `${rule}/fixtures/${n}`, content: readFileSync(join(dir, n), "utf8") })) };
      });
  });

const results = new Map(cases.map((c) => [c.name, analyze(c.files, { ...AS_PRODUCTION, verifyFixes: true })]));
const findings: Finding[] = [...results.values()].flatMap((r) => r.findings);

describe("remediations are checked code", () => {
  it("finds remediation snippets to check in every fixture case with findings", () => {
    const snippets = findings.flatMap((f) => [...f.remediation.matchAll(CODE_BLOCK)].filter((m) => SNIPPET_PATH[m[1]!]));
    expect(snippets.length).toBeGreaterThan(300);
  });

  it.each(cases.map((c) => [c.name] as const))("%s: every code snippet of its remediations parses and raises no finding", (name) => {
    const problems: string[] = [];
    for (const finding of results.get(name)!.findings) {
      for (const [, language, code] of finding.remediation.matchAll(CODE_BLOCK)) {
        const path = SNIPPET_PATH[language!];
        if (!path) continue;
        const result = analyze([{ path, content: code! }], AS_PRODUCTION);
        for (const s of result.skipped) problems.push(`${finding.ruleId} at ${finding.path}:${finding.line}: the ${language} snippet does not parse (${s.detail ?? s.reason}):\n${code}`);
        for (const f of result.findings) problems.push(`${finding.ruleId} at ${finding.path}:${finding.line}: the ${language} snippet raises ${f.ruleId}:\n${code}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("verified fixes", () => {
  it("are offered by at least ten rules over the fixtures", () => {
    const rules = new Set(findings.filter((f) => f.suggestion).map((f) => f.ruleId));
    expect([...rules].sort()).toEqual(
      expect.arrayContaining([
        "argument-injection",
        "bind-all-interfaces",
        "command-injection",
        "config-cleartext-transport",
        "hardcoded-secret",
        "sql-injection",
        "tls-verification-disabled",
        "tool-poisoning",
        "unsafe-deserialization",
        "vulnerable-mcp-dependency",
        "weak-session-id",
      ]),
    );
  });

  it("rewrite the issue's git command without a shell, each option with its value and the marker before the operand", () => {
    const source = `import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec, execFile } from "node:child_process";
import { z } from "zod";
const server = new McpServer({ name: "git", version: "1.0.0" });
server.tool("git_log", { repoPath: z.string(), limit: z.number(), branch: z.string() }, async ({ repoPath, limit, branch }) => {
  exec(\`git -C \${repoPath} log -n \${limit} \${branch}\`, (error, stdout) => console.log(stdout));
  return { content: [] };
});
`;
    const [finding] = analyze([{ path: "s.ts", content: source }], { verifyFixes: true }).findings;
    expect(finding!.ruleId).toBe("command-injection");
    expect(finding!.suggestion!.text).toBe("  execFile('git', ['-C', repoPath, 'log', '-n', String(limit), '--end-of-options', branch], (error, stdout) => console.log(stdout));");
    expect(finding!.remediation).not.toContain("['-C', '--'");
  });
});

describe("mcp-review scan --fix over the rule fixtures", () => {
  it("leaves every fixed file parsing, and a second scan finds none of the fixed findings and no new one", async () => {
    const root = mkdtempSync(join(tmpdir(), "mcp-review-fix-"));
    try {
      cpSync(RULES_DIR, join(root, "rules"), { recursive: true, filter: (src) => statSync(src).isDirectory() || src.includes("/fixtures/") });
      mkdirSync(join(root, ".github"));
      writeFileSync(join(root, ".github/mcp-review.yml"), 'paths: { production: ["**"] }\n');
      const run = async (...args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        await runCli(args, { stdout: { write: (s: string) => void out.push(s) }, stderr: { write: (s: string) => void err.push(s) }, cwd: root, env: {} });
        return { stdout: out.join(""), stderr: err.join("") };
      };
      const report = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as { findings: Finding[]; stats: { skippedFiles: { path: string; reason: string }[] } };

      // A dry run prints the patch and writes nothing.
      const dry = await run("scan", ".", "--fix", "--dry-run", "--format", "json", "--output", "before.json");
      expect(dry.stdout).toMatch(/^--- a\/rules\//);
      const before = report("before.json");
      expect(before.findings.filter((f) => f.suggestion).length).toBeGreaterThanOrEqual(20);
      expect((await run("scan", ".", "--format", "json", "--output", "unchanged.json")).stderr).toBe("");
      expect(report("unchanged.json").findings.length).toBe(before.findings.length);

      const fixed = await run("scan", ".", "--fix", "--format", "json", "--output", "fixing.json");
      const told = /mcp-review: fixed (\d+) findings? in (\d+) files?: (.*)\n/.exec(fixed.stderr);
      expect(told).not.toBeNull();
      const changed = new Map([...told![3]!.matchAll(/([\w./-]+) \((\d+)\)/g)].map((m) => [m[1]!, Number(m[2])]));
      expect(changed.size).toBe(Number(told![2]));
      expect(changed.size).toBeGreaterThanOrEqual(10);

      await run("scan", ".", "--format", "json", "--output", "after.json");
      const after = report("after.json");
      const known = new Set(before.findings.map((f) => f.fingerprint));
      for (const [path, count] of changed) {
        expect(after.stats.skippedFiles.filter((s) => s.path === path)).toEqual([]);
        const was = before.findings.filter((f) => f.path === path);
        const now = after.findings.filter((f) => f.path === path);
        // The fixed findings are gone (a loopback host also ends the findings that needed an exposed
        // server), and nothing is found that was not found before.
        expect({ path, allFixedGone: was.length - now.length >= count }).toEqual({ path, allFixedGone: true });
        expect(now.filter((f) => !known.has(f.fingerprint)).map((f) => `${f.ruleId}:${f.line}`)).toEqual([]);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
