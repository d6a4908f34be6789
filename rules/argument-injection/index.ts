import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { describeSources, type ToolHandler } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import { argvElements } from "../../src/engine/argv.js";
import { DANGEROUS_OPTIONS, endMarkerOf, programOptions, wordRoles, type WordRole } from "../../src/engine/program-options.js";
import { NOT_AN_OPTION } from "../../src/engine/sanitizers.js";
import { abbreviate, constantString, elided, followConst, propertyValue, unwrap, descendantsOfKind } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

const PROCESS_COMMANDS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;
const SHELL_FLAG = /^(?:-c|\/c|-command)$/i;
export const argumentInjection: Rule = {
  meta,
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
      const name = programName.split("/").pop()!;
      const literals = elements.map((e) => constantString(e) ?? constantPrefix(e));
      const roles = wordRoles(name, literals);
      for (const [index, element] of elements.entries()) {
        const role = roles[index]!;
        if (role === "end") break;
        if (literals[index] !== undefined || role === "option") continue;
        // `git -C <dir>`: the value of an option that takes one is never an option itself, unless the
        // option's value is a way to run commands (`git -c core.sshCommand=...`): then it is the finding.
        const option = role === "value" ? constantString(elements[index - 1]!) : undefined;
        const danger = option !== undefined ? programOptions(name)?.dangerousValues?.[option] : undefined;
        if (role === "value" && !danger) continue;
        // `docker exec <id> sh -c <script>`: the script of a shell, a command-injection question.
        const before = index > 0 ? constantString(elements[index - 1]!) : undefined;
        if (before !== undefined && SHELL_FLAG.test(before) && index > 1 && SHELL_PROGRAM.test((constantString(elements[index - 2]!) ?? "").trim())) continue;
        const sources = danger ? ctx.taint.sourcesOf(element) : ctx.taint.sourcesOf(element, NOT_AN_OPTION);
        if (sources.length === 0) continue;
        ctx.report({ node: call, ...(danger ? dangerousValue(sources, programName, option!, danger, element) : operand(call, sources, programName, elements, roles, index, argv)) });
        break;
      }
    }
  },
};

/** Tool input as the value of an option whose value runs commands: no marker helps; the value must be fixed. */
function dangerousValue(sources: ToolHandler[], programName: string, option: string, danger: string, element: Node): { message: string; remediation: string } {
  return {
    message: `${describeSources(sources)} is the value of \`${programName} ${option}\` as \`${abbreviate(element)}\`. ${danger}, so whoever chooses the value chooses what runs.`,
    remediation: [
      `Do not let tool input choose the value of \`${option}\`. Pass a fixed value, or map a small set of allowed choices (a \`z.enum\` in the tool's schema) to fixed values:`,
      "",
      "```ts",
      `const ALLOWED = new Map([["short", "log.abbrevCommit=true"]]);`,
      `const setting = ALLOWED.get(choice);`,
      `if (setting === undefined) throw new Error("unsupported setting");`,
      "```",
    ].join("\n"),
  };
}

/**
 * Tool input as an operand with no end-of-options marker before it. The fix puts the program's
 * marker right before it when no option follows (options keep their values); otherwise a
 * leading `-` has to be refused.
 */
function operand(call: CallExpression, sources: ToolHandler[], programName: string, elements: Node[], roles: readonly WordRole[], index: number, argv: Node): { message: string; remediation: string; fix?: { node: Node; replacement: string } } {
  const program = programName.split("/").pop()!;
  const element = elements[index]!;
  const dangerous = DANGEROUS_OPTIONS[program];
  const marker = endMarkerOf(program);
  const later = roles.slice(index + 1).some((r) => r === "option");
  const fn = call.getExpression().getText().replace(/\s+/g, "");
  const canMark = marker !== null && !later;
  const list = (shown: (n: Node) => string) => [...elements.slice(0, index).map(shown), JSON.stringify(marker), ...elements.slice(index).map(shown)].join(", ");
  const array = unwrap(argv);
  const direct = Node.isArrayLiteralExpression(array) && array.getElements().length === elements.length && array.getElements().every((e, i) => e === elements[i]);
  const message =
    `${describeSources(sources)} is passed to \`${programName}\` as the operand \`${abbreviate(element)}\` with no \`${marker ?? "--"}\` before it. A value that starts with \`-\` is read as an option, not an operand` +
    (dangerous ? `: ${program} has options that run commands or write files, such as ${dangerous}.` : ", which can change what the program does, read or write other files, or run commands.");
  if (canMark) {
    return {
      message,
      remediation: [
        `End option parsing right before the operand (options keep their values):`,
        "",
        "```ts",
        `${fn}(${JSON.stringify(programName)}, [${list((e) => abbreviate(e, 40))}]${call.getArguments().length > 2 ? `, ${call.getArguments().slice(2).map((a) => elided(a)).join(", ")}` : ""})`,
        "```",
        "",
        `${marker === "--end-of-options" ? "For git revisions `--end-of-options` (git 2.24 and later) is the marker: `--` would make the revision a path." : `Check that \`${programName}\` honours \`--\` (most GNU tools do).`} Constraining the input in the tool's schema (a \`z.enum\`, or a regex that forbids a leading \`-\` such as \`/^[\\w.][\\w./-]*$/\`) also stops it.`,
      ].join("\n"),
      ...(direct ? { fix: { node: array, replacement: `[${list((e) => e.getText())}]` } } : {}),
    };
  }
  return {
    message,
    remediation: [
      marker === null
        ? `\`${programName}\` has no marker that ends option parsing, so refuse a leading \`-\` before the call:`
        : `An option follows the operand, so a \`${marker}\` before it would turn that option into an operand: refuse a leading \`-\` instead, before the call:`,
      "",
      "```ts",
      `if (String(${abbreviate(element, 40)}).startsWith("-")) throw new Error("invalid argument");`,
      "```",
      "",
      "Constraining the input in the tool's schema (a `z.enum`, or a regex that forbids a leading `-` such as `/^[\\w.][\\w./-]*$/`) also stops it.",
    ].join("\n"),
  };
}

/**
 * `--branch=${x}`, `HEAD:${x}`: the constant, non-empty text an element starts with, which decides
 * what the word is (an option with its value, or an operand that cannot start with `-`).
 */
function constantPrefix(element: Node): string | undefined {
  const node = unwrap(element);
  if (Node.isTemplateExpression(node)) return node.getHead().getLiteralText() || undefined;
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) return constantString(node.getLeft()) || undefined;
  return undefined;
}
