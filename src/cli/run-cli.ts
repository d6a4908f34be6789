import { readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { applySuggestions, unifiedDiff } from "./apply-fixes.js";
import { CONFIG_PATH, DEFAULT_CONFIG, ignoreMatcher, parseRepoConfig, treatmentOf, type RepoConfig } from "../config/repo-config.js";
import { formatInventoryText } from "./format-inventory.js";
import { atOrAbove, SEVERITIES, type AnalyzeOptions, type Finding, type Severity, type SourceInput, type Suggestion } from "../engine/types.js";
import { openResultCache, type ResultCache } from "../scan/result-cache.js";
import { scanFolder } from "../scan/tree-scan.js";
import { collectFiles, collectOptionsOf, type FolderWalk } from "./collect-files.js";
import { formatSarif } from "./format-sarif.js";
import { formatText } from "./format-text.js";
import { packageVersion } from "./package-info.js";
import { progressReporter } from "./progress.js";
import { scanReport, type ScanReport } from "./scan-report.js";
import { readUserConfigs, userConfigLocations } from "./user-configs.js";

export interface CliIo {
  stdout: { write(text: string): unknown };
  /** A scan draws its progress here when it is a terminal (`isTTY`). */
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  cwd: string;
  /** HOME (USERPROFILE on Windows), APPDATA and XDG_CONFIG_HOME locate the user's configs for `--user`. */
  env: Record<string, string | undefined>;
}

const FORMATS = ["text", "json", "sarif"] as const;
type Format = (typeof FORMATS)[number];
const FAIL_LEVELS = [...SEVERITIES, "none"] as const;
type FailLevel = Severity | "none";

const HELP = `Usage: mcp-review scan [PATH] [options]
       mcp-review scan --user [options]
       mcp-review inventory [PATH] [--format text|json] [--output FILE]

Scan the MCP server code and MCP client configs under PATH (a folder or a file; default ".")
for security flaws. With --user, audit your own MCP client configs instead (Claude Desktop,
Claude Code, VS Code, Cursor, Windsurf, Gemini CLI, Cline) where each client keeps them on
Linux, macOS and Windows; the report says which files were read.

Options:
  --format text|json|sarif   output format (default: text)
  --output FILE              write the report to FILE instead of standard output
  --user                     scan your own MCP client configs instead of PATH
  --fail-on LEVEL            exit 1 when a finding is at or above LEVEL:
                             critical, high, medium, low, info or none
                             (default: fail_on from ${CONFIG_PATH}, else high)
  --jobs N                   analyze on N threads (default: the number of CPUs)
  --include-vendored         also read what no one wrote by hand: vendored folders and build
                             output (node_modules, vendor, virtualenvs, dist beside src),
                             minified bundles and generated code (skipped and counted otherwise)
  --quiet, -q                no progress line on standard error
  --fix                      write the fixes the engine verified into the files, and say
                             which on stderr (the report and exit status are the scan's)
  --dry-run                  with --fix: print the fixes as a unified diff instead of
                             writing them (the report goes to --output or nowhere)
  --help                     show this help
  --version                  show the version

The inventory command lists what PATH contains: the MCP servers implemented in it (name,
language, transports, listen address, authentication, Host/Origin validation, CORS), their
tools, resources and prompts (description, input schema, definition hash), MCP client configs
(what each server runs, pinned or not), MCP dependencies with advisories, the findings of scan,
and what was not read. It exits 0 unless the arguments or files cannot be read.

Exit status: 0 no finding at or above the fail level, 1 findings, 2 usage or I/O error.

With REDIS_URL set, results are cached there by content (RESULT_CACHE_MB, default 256): a second
scan of the same files reads them back. SCAN_MEMORY_MB (default 240) bounds what the analysis
threads may hold together: what each holds (its engine, about 100 MB for TypeScript and
JavaScript and 30 MB for Python, and what its last units left) or what its unit needs
(estimated from its lines). A unit too large to share that runs alone; a second thread starts
only where both fit. --jobs 1 analyzes on one thread, in the same bounds.
`;

class UsageError extends Error {}

/**
 * The engine, loaded on first use: a whole-tree scan analyzes on threads, and this thread only
 * walks the tree, plans and reports, without the parsers' memory.
 */
let loaded: typeof import("../engine/index.js") | undefined;
async function engine(): Promise<typeof import("../engine/index.js")> {
  loaded ??= await import("../engine/index.js");
  return loaded;
}

interface ScanArgs {
  path: string;
  format: Format;
  output?: string;
  failOn?: FailLevel;
  user: boolean;
  fix: boolean;
  dryRun: boolean;
  jobs: number;
  includeVendored: boolean;
  quiet: boolean;
}

/** Runs `mcp-review` with arguments (without node and script) and returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    if (argv.includes("--help") || argv.includes("-h")) {
      io.stdout.write(HELP);
      return 0;
    }
    if (argv.includes("--version")) {
      io.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    const [command, ...rest] = argv;
    if (command === "inventory") return await inventory(parseInventoryArgs(rest), io);
    if (command !== "scan") throw new UsageError(command === undefined ? "missing command; try `mcp-review scan .`" : `unknown command \`${command}\`; try \`mcp-review scan .\``);
    const args = parseScanArgs(rest);
    // SARIF names every rule: the engine's registry is loaded for it.
    if (args.format === "sarif") await engine();
    return args.user ? await scanUser(args, io) : await scan(args, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`mcp-review: ${message.split("\n")[0]}\n`);
    return 2;
  }
}

/**
 * Walks command-line arguments: each option goes to `onOption` with its name, a `value()` that
 * takes its value (`--name=value` or the next argument), and whether the value was given inline
 * (a flag rejects that). Returns the positional arguments.
 */
function walkArgs(args: string[], onOption: (name: string, value: () => string, inline: boolean) => void): string[] {
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    onOption(name, () => {
      if (eq >= 0) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      return next;
    }, eq >= 0);
  }
  return positional;
}

function parseScanArgs(args: string[]): ScanArgs {
  const out: Partial<ScanArgs> = {};
  const positional = walkArgs(args, (name, value, inline) => {
    switch (name) {
      case "--format": {
        const format = value();
        if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")} (got "${format}")`);
        out.format = format as Format;
        break;
      }
      case "--output":
      case "-o":
        out.output = value();
        break;
      case "--user":
        if (inline) throw new UsageError("--user takes no value");
        out.user = true;
        break;
      case "--fix":
      case "--dry-run":
        if (inline) throw new UsageError(`${name} takes no value`);
        if (name === "--fix") out.fix = true;
        else out.dryRun = true;
        break;
      case "--jobs":
      case "-j": {
        const jobs = value();
        if (!/^[1-9]\d*$/.test(jobs)) throw new UsageError(`--jobs must be a whole number of threads, 1 or more (got "${jobs}")`);
        out.jobs = Number(jobs);
        break;
      }
      case "--include-vendored":
      case "--quiet":
      case "-q":
        if (inline) throw new UsageError(`${name} takes no value`);
        if (name === "--include-vendored") out.includeVendored = true;
        else out.quiet = true;
        break;
      case "--fail-on": {
        const level = value();
        if (!(FAIL_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--fail-on must be one of ${FAIL_LEVELS.join(", ")} (got "${level}")`);
        out.failOn = level as FailLevel;
        break;
      }
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  });
  if (positional.length > 1) throw new UsageError(`expected one PATH, got ${positional.length}: ${positional.join(" ")}`);
  if (out.user && positional.length > 0) throw new UsageError("--user scans your own client configs; give no PATH with it");
  if (out.dryRun && !out.fix) throw new UsageError("--dry-run goes with --fix");
  if (out.fix && out.user) throw new UsageError("--fix applies to a PATH, not to --user");
  return {
    path: positional[0] ?? ".",
    format: out.format ?? "text",
    output: out.output,
    failOn: out.failOn,
    user: out.user ?? false,
    fix: out.fix ?? false,
    dryRun: out.dryRun ?? false,
    jobs: out.jobs ?? availableParallelism(),
    includeVendored: out.includeVendored ?? false,
    quiet: out.quiet ?? false,
  };
}

/**
 * The PATH a command was given, whether it is a folder, and the repository config found in it
 * (`.github/mcp-review.yml`; its problems are warned about on stderr).
 */
function openTarget(path: string, io: CliIo): { target: string; isDirectory: boolean; config: RepoConfig } {
  const target = resolve(io.cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    throw new Error(`no such file or folder: ${path}`);
  }
  let configText: string | undefined;
  try {
    configText = isDirectory ? readFileSync(resolve(target, CONFIG_PATH), "utf8") : undefined;
  } catch {
    configText = undefined;
  }
  const { config, errors } = parseRepoConfig(configText);
  for (const error of errors) io.stderr.write(`mcp-review: warning: ${CONFIG_PATH}: ${error}\n`);
  return { target, isDirectory, config };
}

async function scan(args: ScanArgs, io: CliIo): Promise<number> {
  const started = performance.now();
  const { target, isDirectory, config } = openTarget(args.path, io);

  const walk: FolderWalk = {
    target,
    isDirectory,
    ignore: config.ignore,
    paths: config.paths,
    maxFileBytes: config.max_file_size_kb * 1024,
    maxDependencyFileBytes: config.max_dependency_file_mb * 1024 * 1024,
    includeVendored: args.includeVendored,
    // A repository that counts findings in generated code has it read.
    keepGenerated: config.contexts.generated !== "listed",
  };
  const options = { rules: config.rules, allowSuppressions: config.allow_suppressions, paths: config.paths };
  if (!args.fix) {
    // The tree is read once to plan it and each text let go: threads read a unit's files again.
    const cache = await cliCache(io);
    const progress = progressReporter(io.stderr, args.quiet);
    let scanned;
    try {
      scanned = await scanFolder(walk, options, { jobs: args.jobs, cache, onProgress: progress.update, memoryBudgetBytes: memoryBudget(io.env) });
    } finally {
      progress.end();
      await cache?.close();
    }
    const { result, skipped } = scanned;
    for (const error of result.errors) io.stderr.write(`mcp-review: warning: rule ${error.ruleId} failed on ${error.path}: ${error.message}\n`);
    const report = scanReport(result, skipped, Math.round(performance.now() - started), { units: result.units, jobs: args.jobs });
    return emit(report, args, io, args.failOn ?? config.fail_on, "", config);
  }
  const collected = collectFiles(target, isDirectory, collectOptionsOf(walk));
  const result = (await engine()).analyze(collected.files, { ...options, verifyFixes: args.fix });
  for (const error of result.errors) io.stderr.write(`mcp-review: warning: rule ${error.ruleId} failed on ${error.path}: ${error.message}\n`);
  const report = scanReport(result, collected.skipped, Math.round(performance.now() - started));
  const fixes = fixFiles(collected.files, result.findings, options);
  // A dry run's stdout is the patch, for `git apply`; its report goes to --output, if anywhere.
  const status = args.dryRun && !args.output ? exitStatus(report, args.failOn ?? config.fail_on, config) : emit(report, args, io, args.failOn ?? config.fail_on, "", config);
  const root = isDirectory ? target : dirname(target);
  for (const fix of fixes) {
    if (args.dryRun) io.stdout.write(unifiedDiff(fix.path, fix.before, fix.applied));
    else writeFileSync(resolve(root, fix.path), fix.after);
  }
  const count = fixes.reduce((n, f) => n + f.applied.length, 0);
  io.stderr.write(
    count === 0
      ? "mcp-review: no finding has a verified fix\n"
      : `mcp-review: ${args.dryRun ? "would fix" : "fixed"} ${count} finding${count === 1 ? "" : "s"} in ${fixes.length} file${fixes.length === 1 ? "" : "s"}: ${fixes.map((f) => `${f.path} (${f.applied.length})`).join(", ")}\n`,
  );
  return status;
}

interface InventoryArgs {
  path: string;
  format: "text" | "json";
  output?: string;
}

function parseInventoryArgs(args: string[]): InventoryArgs {
  let format: InventoryArgs["format"] = "text";
  let output: string | undefined;
  const positional = walkArgs(args, (name, value) => {
    if (name === "--format") {
      const given = value();
      if (given !== "text" && given !== "json") throw new UsageError(`--format must be text or json for inventory (got "${given}")`);
      format = given;
    } else if (name === "--output" || name === "-o") output = value();
    else throw new UsageError(`unknown option ${name}`);
  });
  if (positional.length > 1) throw new UsageError(`expected one PATH, got ${positional.length}: ${positional.join(" ")}`);
  return { path: positional[0] ?? ".", format, ...(output ? { output } : {}) };
}

/** `inventory`: what a checkout contains, the same Inventory an organization scan stores for a repository. */
async function inventory(args: InventoryArgs, io: CliIo): Promise<number> {
  const { target, isDirectory, config } = openTarget(args.path, io);
  // Loaded here, as the engine is: a scan on threads never loads it on this thread.
  const { buildInventory } = await import("../engine/inventory.js");
  const collected = collectFiles(target, isDirectory, { ignored: ignoreMatcher(config), maxFileBytes: config.max_file_size_kb * 1024, maxDependencyFileBytes: config.max_dependency_file_mb * 1024 * 1024 });
  const result = buildInventory(collected.files, { rules: config.rules, allowSuppressions: config.allow_suppressions, paths: config.paths }, { notRead: collected.skipped });
  const rendered = args.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : formatInventoryText(result);
  if (args.output) {
    try {
      writeFileSync(resolve(io.cwd, args.output), rendered);
    } catch (error) {
      throw new Error(`cannot write ${args.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else io.stdout.write(rendered);
  return 0;
}

/** `SCAN_MEMORY_MB`: what a scan's analysis threads may hold together, engines and units; the default when unset or not a positive number. */
function memoryBudget(env: Record<string, string | undefined>): number | undefined {
  const mb = Number(env.SCAN_MEMORY_MB);
  return env.SCAN_MEMORY_MB && Number.isFinite(mb) && mb > 0 ? mb * 1024 * 1024 : undefined;
}

/** The result cache of a CLI scan: Redis when REDIS_URL is set (a one-off process gains nothing from one in memory). */
async function cliCache(io: CliIo): Promise<ResultCache | undefined> {
  if (!io.env.REDIS_URL) return undefined;
  let warned = false;
  return openResultCache(io.env, (error) => {
    if (!warned) io.stderr.write(`mcp-review: warning: the result cache in Redis is not available (${error.message}); analyzing without it\n`);
    warned = true;
  });
}

/** `scan --user`: the current user's MCP client configs, wherever each client keeps them. */
async function scanUser(args: ScanArgs, io: CliIo): Promise<number> {
  const started = performance.now();
  const home = io.env.HOME ?? io.env.USERPROFILE ?? homedir();
  const dirs = { home, appData: io.env.APPDATA, xdgConfigHome: io.env.XDG_CONFIG_HOME };
  const collected = readUserConfigs(dirs, 1024 * 1024);
  const result = (await engine()).analyze(collected.files);
  for (const error of result.errors) io.stderr.write(`mcp-review: warning: rule ${error.ruleId} failed on ${error.path}: ${error.message}\n`);
  const report = scanReport(result, collected.skipped, Math.round(performance.now() - started));
  const places = userConfigLocations(dirs).length;
  const preface =
    collected.read.length === 0
      ? `No MCP client configs found (looked in ${places} places under ${home}).\n\n`
      : `Read ${collected.read.length} MCP client config${collected.read.length === 1 ? "" : "s"}:\n${collected.read.map((r) => `  ${r.path}  (${r.client})`).join("\n")}\n\n`;
  return emit(report, args, io, args.failOn ?? "high", preface);
}

/** Render, write and turn into an exit status. `preface` goes before a text report, or to stderr. */
function emit(report: ScanReport, args: ScanArgs, io: CliIo, failOn: FailLevel, preface: string, config: Pick<RepoConfig, "contexts"> = DEFAULT_CONFIG): number {
  if (preface !== "" && args.format !== "text") io.stderr.write(preface.trimEnd().split("\n").map((l) => `mcp-review: ${l.trim()}`).join("\n") + "\n");

  const rendered =
    args.format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : args.format === "sarif"
        ? formatSarif(report, loaded!.listRules(), packageVersion())
        : (preface !== "" ? preface : "") + formatText(report);
  if (args.output) {
    const file = resolve(io.cwd, args.output);
    try {
      writeFileSync(file, rendered);
    } catch (error) {
      throw new Error(`cannot write ${args.output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else {
    io.stdout.write(rendered);
  }

  // As in a pull request: test, example and generated code's findings count only where the config says.
  return exitStatus(report, failOn, config);
}

function exitStatus(report: ScanReport, failOn: FailLevel, config: Pick<RepoConfig, "contexts">): number {
  if (failOn === "none") return 0;
  return report.findings.some((f) => treatmentOf(f, config) === "production" && atOrAbove(f.severity, failOn)) ? 1 : 0;
}

interface FileFix {
  path: string;
  before: string;
  after: string;
  applied: Suggestion[];
}

/**
 * Each file with its verified fixes applied together. They were verified one by one: applied
 * together they are checked once more (the file parses, the fixed findings are gone, nothing is
 * new), and where that fails only the first is kept, which was verified as it stands.
 */
function fixFiles(files: readonly SourceInput[], findings: readonly Finding[], options: AnalyzeOptions): FileFix[] {
  const out: FileFix[] = [];
  for (const file of files) {
    const mine = findings.filter((f) => f.path === file.path && f.suggestion);
    if (mine.length === 0) continue;
    let { text, applied } = applySuggestions(file.content, mine.map((f) => f.suggestion!));
    if (applied.length > 1 && !holds(files, file, text, findings, options)) ({ text, applied } = applySuggestions(file.content, [applied[0]!]));
    out.push({ path: file.path, before: file.content, after: text, applied });
  }
  return out;
}

function holds(files: readonly SourceInput[], file: SourceInput, text: string, findings: readonly Finding[], options: AnalyzeOptions): boolean {
  const after = loaded!.analyze(files.map((f) => (f === file ? { ...f, content: text } : f)), { ...options, only: [file.path] });
  if (after.skipped.some((s) => s.path === file.path)) return false;
  const before = findings.filter((f) => f.path === file.path && !f.suggestion).length;
  return after.findings.filter((f) => f.path === file.path).length <= before;
}
