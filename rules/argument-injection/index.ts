import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import { argvElements } from "../../src/engine/argv.js";
import { NOT_AN_OPTION } from "../../src/engine/sanitizers.js";
import { abbreviate, constantString, followConst, propertyValue, unwrap, descendantsOfKind } from "../../src/engine/values.js";
import { checkPython, MENTIONS_PY } from "./python.js";

const PROCESS_COMMANDS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;
const SHELL_FLAG = /^(?:-c|\/c|-command)$/i;
/** Arguments that end option parsing: everything after them is an operand. */
const END_OF_OPTIONS = new Set(["--", "--end-of-options"]);
/** Options known to run a command or write a file when a value reaches them, by program. */
export const DANGEROUS_OPTIONS: Record<string, string> = {
  git: "`--upload-pack=<cmd>`, `-c core.sshCommand=<cmd>` or `--output=<file>`",
  rg: "`--pre=<cmd>`",
  find: "`-exec <cmd> ;`",
  tar: "`--checkpoint-action=exec=<cmd>`",
  zip: "`-TT <cmd>`",
  ssh: "`-oProxyCommand=<cmd>`",
  curl: "`-o <file>` or `-K <config>`",
  npm: "`--script-shell=<cmd>`",
  docker: "`--privileged` or `-v /:/host`",
  kubectl: "`--kubeconfig=<file>`",
};

/**
 * Options that consume the next argument as their value, by program: the word after them cannot
 * become an option. Options whose value is itself dangerous (`git -c core.sshCommand=...`) are not here.
 */
const VALUE_OPTIONS: Record<string, ReadonlySet<string>> = {
  git: new Set(["-C", "--git-dir", "--work-tree", "--namespace", "-b", "-B", "--orphan", "-m", "--message", "-F", "--file", "--author", "--date", "-n", "--max-count", "--skip", "--since", "--until", "--grep", "--depth", "--branch", "--origin", "--format", "--pretty"]),
  docker: new Set(["--name", "-w", "--workdir", "--label", "-l", "--network", "--memory", "-m", "--cpus", "--user", "-u", "--hostname", "-h", "--platform", "--entrypoint"]),
  kubectl: new Set(["-n", "--namespace", "-c", "--container", "--context", "-l", "--selector", "-o", "--output", "-f", "--filename"]),
  osascript: new Set(["-e", "-l"]),
};

export const argumentInjection: Rule = {
  meta: {
    id: "argument-injection",
    title: "Tool input can become an option of a program",
    severity: "high",
    cwe: "CWE-88",
    confidence: "medium",
    languages: ["typescript", "javascript", "python"],
    references: [
      "https://cwe.mitre.org/data/definitions/88.html",
      "https://sonarsource.github.io/argument-injection-vectors/",
      "https://nodejs.org/api/child_process.html#child_processexecfilefile-args-options-callback",
    ],
    description:
      "An MCP handler passes tool input as an argument to execFile/spawn (or a Python subprocess argument list) without a shell, but with no `--` before it and nothing stopping it from starting with `-`. The program then reads it as an option: `--upload-pack=...` for git, `--pre=...` for rg, `-exec` for find run commands of the caller's choosing.",
    mentions: /child_process|(?:^|[^.\w$])(?:exec|spawn)\w*\s*\(/,
    mentionsPython: MENTIONS_PY,
  },
  checkPython,
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const ref = moduleRefOf(call.getExpression());
      if (!ref || ref.module !== "child_process" || !PROCESS_COMMANDS.has(ref.name)) continue;
      const [program, argv, options] = call.getArguments();
      if (!program || !argv) continue;
      const programName = constantString(program);
      if (programName === undefined || SHELL_PROGRAM.test(programName.trim())) continue; // command-injection's ground
      const shell = [argv, options].map((o) => (o && Node.isObjectLiteralExpression(followConst(o)) ? propertyValue(o, "shell") : undefined)).find((v) => v !== undefined);
      if (shell && unwrap(shell).getKind() !== SyntaxKind.FalseKeyword) continue; // a shell: command-injection
      const elements = argvElements(argv);
      if (!elements) continue;
      const takesValue = VALUE_OPTIONS[programName.split("/").pop()!];
      for (const [index, element] of elements.entries()) {
        const literal = constantString(element);
        if (literal !== undefined && END_OF_OPTIONS.has(literal)) break;
        if (literal !== undefined || hasConstantPrefix(element)) continue;
        // `git -C <dir>`, `docker run --name <x>`: the word after an option that takes a value is that value, never an option.
        const before = index > 0 ? constantString(elements[index - 1]!) : undefined;
        if (before !== undefined && takesValue?.has(before)) continue;
        // `docker exec <id> sh -c <script>`: the script of a shell, a command-injection question.
        if (before !== undefined && SHELL_FLAG.test(before) && index > 1 && SHELL_PROGRAM.test((constantString(elements[index - 2]!) ?? "").trim())) continue;
        const sources = ctx.taint.sourcesOf(element, NOT_AN_OPTION);
        if (sources.length === 0) continue;
        const program = programName.split("/").pop()!;
        const dangerous = DANGEROUS_OPTIONS[program];
        const fn = call.getExpression().getText().replace(/\s+/g, "");
        const fixed = [...elements.slice(0, index).map((e) => abbreviate(e, 30)), '"--"', ...elements.slice(index).map((e) => abbreviate(e, 30))];
        ctx.report({
          node: call,
          message:
            `${describeSources(sources)} is passed to \`${programName}\` as \`${abbreviate(element)}\` with no \`--\` before it. A value that starts with \`-\` is read as an option, not an operand` +
            (dangerous ? `: ${program} has options that run commands or write files, such as ${dangerous}.` : ", which can change what the program does, read or write other files, or run commands."),
          remediation: [
            "End option parsing before the input, and refuse values that start with `-`:",
            "",
            "```ts",
            `if (${abbreviate(element)}.startsWith("-")) throw new Error("invalid argument");`,
            `${fn}(${JSON.stringify(programName)}, [${fixed.join(", ")}]${call.getArguments().length > 2 ? ", …" : ""})`,
            "```",
            "",
            `Check that \`${programName}\` honours \`--\` (git, rg, grep, ls, rm and most GNU tools do; for git revisions use \`--end-of-options\`). Constraining the input in the tool's schema (a \`z.enum\`, or a regex that forbids a leading \`-\` such as \`/^[\\w.][\\w./-]*$/\`) also stops it.`,
          ].join("\n"),
        });
        break;
      }
    }
  },
};

/** `--branch=${x}`, `HEAD:${x}`: a constant, non-empty prefix means the value cannot start with `-`... as an option of its own. */
function hasConstantPrefix(element: Node): boolean {
  const node = unwrap(element);
  if (Node.isTemplateExpression(node)) return node.getHead().getLiteralText().length > 0;
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left = constantString(node.getLeft());
    return left !== undefined && left.length > 0;
  }
  return false;
}
