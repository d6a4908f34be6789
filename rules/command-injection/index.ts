import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleRefOf, type ModuleRef } from "../../src/engine/imports.js";
import type { Rule, RuleContext } from "../../src/engine/rule.js";
import { describeSources } from "../../src/engine/mcp.js";
import { SHELL_QUOTING, WEB_URL_SCHEME } from "../../src/engine/sanitizers.js";
import { abbreviate, constantString, elided, followConst, propertyValue, unwrap, descendantsOfKind, withoutComments } from "../../src/engine/values.js";
import { commandPieces, toArgv } from "./remediation.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

const SHELL_COMMANDS = new Set(["exec", "execSync"]);
const PROCESS_COMMANDS = new Set(["spawn", "spawnSync", "execFile", "execFileSync"]);
const SHELL_PROGRAM = /^(?:\/(?:usr\/)?bin\/)?(?:sh|bash|zsh|dash|ksh|fish|cmd(?:\.exe)?|powershell(?:\.exe)?|pwsh)$/i;
const SHELL_FLAG = /^(?:-c|\/c|-command)$/i;

export const commandInjection: Rule = {
  meta,
  checkPython,
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const ref = moduleRefOf(call.getExpression());
      if (isLauncher(call, ref)) {
        checkLauncher(ctx, call);
        continue;
      }
      if (!ref || ref.module !== "child_process") continue;
      if (SHELL_COMMANDS.has(ref.name)) checkShellCommand(ctx, call, ref);
      else if (PROCESS_COMMANDS.has(ref.name)) checkProcessCommand(ctx, call, ref);
    }
    for (const array of descendantsOfKind(ctx.sourceFile, SyntaxKind.ArrayLiteralExpression)) checkShellArgv(ctx, array);
  },
};

/** Calls that run an argument vector: `exec.exec(ns, pod, container, command)` (Kubernetes), `execa`, `spawn`, `container.exec({ Cmd })`, `runCommand`. */
const EXEC_API = /^(?:exec\w*|spawn\w*|execa\w*|run\w*|\w+Exec|\w*Command|\w*Process|system)$/i;
/** Object properties that hold a command vector in an exec API's options (`{ Cmd: [...] }` for Docker). */
const ARGV_PROPERTY = /^(?:cmd|command|args|argv|entrypoint)$/i;

/**
 * `[shell, "-c", script]` handed to an API that runs it (Kubernetes exec, Docker exec, execa,
 * spawn with the array spread): the shell interprets the script whatever API starts it.
 */
function checkShellArgv(ctx: RuleContext, array: import("ts-morph").ArrayLiteralExpression): void {
  const elements = array.getElements();
  const flag = elements.findIndex((e, i) => i >= 1 && SHELL_FLAG.test(constantString(e) ?? ""));
  if (flag < 1) return;
  const shell = shellProgram(elements[flag - 1]!);
  const script = elements[flag + 1];
  if (!shell || !script || Node.isSpreadElement(script) || constantString(script) !== undefined) return;
  // `spawn("sh", ["sh", "-c", x])` and friends are judged with their call.
  const parent = array.getParent();
  if (parent && Node.isCallExpression(parent) && moduleRefOf(parent.getExpression())?.module === "child_process") return;
  const runner = runnerOf(array);
  if (!runner || !ctx.taint.isTainted(script, SHELL_QUOTING)) return;
  const fn = calleeText(runner);
  ctx.report({
    node: array,
    severity: "critical",
    message:
      `${toolsOf(ctx, script)} input reaches the script of \`[${abbreviate(elements[flag - 1]!, 20)}, ${JSON.stringify(constantString(elements[flag]!))}, ${abbreviate(script)}]\`, which \`${abbreviate(runner.getExpression(), 40)}(…)\` runs: ` +
      `${shell} interprets the script as shell code, so \`;\`, \`|\`, \`&&\` or \`$(...)\` in the input run arbitrary commands wherever the command runs (a container, a pod, the host).`,
    remediation: [
      `Do not wrap tool input in \`${shell} -c\`. Pass the program and its arguments as the vector itself, each value its own element, so no shell parses them:`,
      "",
      "```ts",
      `${fn}(${runner.getArguments().map((a) => (a === array || a.getDescendants().includes(array) ? "[program, ...args]" : elided(a))).join(", ")}); // e.g. ["ls", "-la", dir], never [${JSON.stringify(shell)}, "-c", \`ls -la \${dir}\`]`,
      "```",
      "",
      "Accept the command as an array in the tool's schema (`z.array(z.string())`) rather than as a string, and restrict the program to an allowlist (`z.enum([...])`) when the tool does not exist to run arbitrary commands.",
    ].join("\n"),
  });
}

/** A shell program as written, or the shell a fallback names (`input.shell || "/bin/sh"`). */
function shellProgram(node: Node): string | undefined {
  const value = followConst(node);
  const text = constantString(value);
  if (text !== undefined) return SHELL_PROGRAM.test(text.trim()) ? text.trim() : undefined;
  if (Node.isBinaryExpression(value) && /^(?:\|\||\?\?)$/.test(value.getOperatorToken().getText())) return shellProgram(value.getRight()) ?? shellProgram(value.getLeft());
  if (Node.isConditionalExpression(value)) return shellProgram(value.getWhenTrue()) ?? shellProgram(value.getWhenFalse());
  return undefined;
}

/** The exec-style call an array literal is handed to: directly, in an options object, or through the variable that holds it. */
function runnerOf(array: Node): CallExpression | undefined {
  let node: Node = array;
  let parent = node.getParent();
  while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isSpreadElement(parent))) (node = parent), (parent = parent.getParent());
  if (parent && Node.isPropertyAssignment(parent) && ARGV_PROPERTY.test(parent.getName())) {
    const object = parent.getParent();
    const call = object?.getParent();
    return call && Node.isCallExpression(call) && isExecApi(call) ? call : undefined;
  }
  if (parent && Node.isCallExpression(parent)) return isExecApi(parent) && parent.getArguments().includes(node as never) ? parent : undefined;
  const holder = parent && Node.isVariableDeclaration(parent) ? parent.getName() : parent && Node.isBinaryExpression(parent) && parent.getOperatorToken().getKind() === SyntaxKind.EqualsToken && Node.isIdentifier(parent.getLeft()) ? parent.getLeft().getText() : undefined;
  if (!holder) return undefined;
  const scope = array.getFirstAncestor((a) => Node.isFunctionDeclaration(a) || Node.isArrowFunction(a) || Node.isFunctionExpression(a) || Node.isMethodDeclaration(a)) ?? array.getSourceFile();
  for (const call of descendantsOfKind(scope, SyntaxKind.CallExpression)) {
    if (!isExecApi(call)) continue;
    for (const arg of call.getArguments()) {
      const a = unwrap(arg);
      if (Node.isIdentifier(a) && a.getText() === holder) return call;
      if (Node.isSpreadElement(a) && unwrap(a.getExpression()).getText() === holder) return call;
      if (Node.isObjectLiteralExpression(a) && a.getProperties().some((p) => Node.isPropertyAssignment(p) && ARGV_PROPERTY.test(p.getName()) && unwrap(p.getInitializerOrThrow()).getText() === holder)) return call;
    }
  }
  return undefined;
}

function isExecApi(call: CallExpression): boolean {
  const callee = unwrap(call.getExpression());
  const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : Node.isIdentifier(callee) ? callee.getText() : "";
  return EXEC_API.test(name);
}

function checkShellCommand(ctx: RuleContext, call: CallExpression, ref: ModuleRef): void {
  const command = call.getArguments()[0];
  if (!command || !ctx.taint.isTainted(command, SHELL_QUOTING)) return;
  const fn = calleeText(call);
  ctx.report({
    node: call,
    severity: "critical",
    message:
      `${toolsOf(ctx, command)} input reaches \`${fn}(${abbreviate(command)})\`. ${ref.name} runs the command through a shell, ` +
      "so shell syntax in the input (`;`, `|`, `&&`, `$(...)`, backticks) runs arbitrary commands on the host with the server's privileges. " +
      (ctx.taint.sourcesOf(command).some((h) => h.kind === "remote")
        ? "Any MCP server this client connects to — a malicious one, or a compromised one — chooses this value, and the command runs on the user's machine."
        : "The arguments of a tool call are chosen by the model, and a prompt injection in any document, web page or issue the model reads can choose them."),
    ...remediationFor(ctx, call, command, ref, ref.name === "execSync" ? "execFileSync" : "execFile"),
  });
}

function checkProcessCommand(ctx: RuleContext, call: CallExpression, ref: ModuleRef): void {
  const args = call.getArguments();
  const program = args[0];
  if (!program) return;
  const argv = args[1] && !isOptionsObject(args[1]) ? args[1] : undefined;
  const options = args.find(isOptionsObject);
  const shellValue = options ? propertyValue(options, "shell") : undefined;
  const usesShell = shellValue !== undefined && unwrap(shellValue).getKind() !== SyntaxKind.FalseKeyword && !/^(undefined|null|0|"")$/.test(shellValue.getText());
  const fn = calleeText(call);

  if (usesShell) {
    const tainted = [program, argv].find((a) => a && ctx.taint.isTainted(a, SHELL_QUOTING));
    if (!tainted) return;
    ctx.report({
      node: call,
      severity: "critical",
      message:
        `${toolsOf(ctx, tainted)} input reaches \`${fn}(...)\` with \`shell: true\`: the program and its arguments are joined into one shell command line, ` +
        "so shell syntax in the input (`;`, `|`, `$(...)`) runs arbitrary commands on the host.",
      ...remediationFor(ctx, call, program, ref, ref.name, argv),
    });
    return;
  }

  const programName = constantString(program);
  const argList = argv ? followConst(argv) : undefined;
  if (programName && SHELL_PROGRAM.test(programName.trim()) && argList && Node.isArrayLiteralExpression(argList)) {
    const elements = argList.getElements();
    const flag = elements.findIndex((e) => SHELL_FLAG.test(constantString(e) ?? ""));
    const script = flag >= 0 ? elements[flag + 1] : undefined;
    if (script && ctx.taint.isTainted(script, SHELL_QUOTING)) {
      ctx.report({
        node: call,
        severity: "critical",
        message:
          `${toolsOf(ctx, script)} input reaches the script of \`${fn}(${JSON.stringify(programName)}, [${constantString(elements[flag]!) ? JSON.stringify(constantString(elements[flag]!)) : "…"}, ${abbreviate(script)}])\`: ` +
          `${programName} interprets it as shell code, so \`;\`, \`|\` or \`$(...)\` in the input run arbitrary commands on the host.`,
        remediation: remediationFor(ctx, call, script, ref, ref.name).remediation,
      });
    }
    return;
  }

  if (programName === undefined && ctx.taint.isTainted(program)) {
    ctx.report({
      node: call,
      message:
        `${toolsOf(ctx, program)} input chooses the program that \`${fn}(${abbreviate(program)}, ...)\` runs: ` +
        "whoever controls the tool arguments can run any executable on the host (`/bin/sh`, `curl … | sh`, an interpreter with inline code).",
      remediation: [
        `Do not let tool input name the program. Declare the choice as a fixed set — e.g. \`z.enum(["status", "log"])\` in the tool's input schema — and map each value to a literal program and argument list:`,
        "",
        "```ts",
        `const COMMANDS = { status: ["git", ["status"]], log: ["git", ["log", "-n", "20"]] } as const;`,
        `const [program, programArgs] = COMMANDS[action];`,
        `${fn}(program, [...programArgs]);`,
        "```",
      ].join("\n"),
    });
  }
}

/** Packages that hand a URL or path to the desktop's opener (`start` / PowerShell on Windows, `open`, `xdg-open`). */
const LAUNCHER_MODULES = new Set(["open", "opn", "better-opn"]);

/** `open(target)` of the `open` package (also `opn`, `better-opn`, `openApp`), or Electron's `shell.openExternal(url)`. */
function isLauncher(call: CallExpression, ref: ModuleRef | undefined): boolean {
  if (ref && LAUNCHER_MODULES.has(ref.module)) return ref.name === "*" || ref.name === "default" || ref.name === "open" || ref.name === "openApp";
  const callee = call.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== "openExternal") return false;
  const receiver = moduleRefOf(callee.getExpression());
  return receiver?.module === "electron" && (receiver.name === "shell" || receiver.name === "*");
}

/**
 * Data an attacker chooses, handed to a desktop launcher: the `open` package runs its target
 * through PowerShell on Windows (CVE-2025-6514, a crafted OAuth `authorization_endpoint` in an
 * MCP proxy), and on every platform a `file:` URL or a path launches local programs.
 */
function checkLauncher(ctx: RuleContext, call: CallExpression): void {
  const args = call.getArguments();
  const target = args[0];
  if (!target || constantString(target) !== undefined) return;
  const app = args[1] ? propertyValue(args[1], "app") : undefined;
  const appName = app ? propertyValue(app, "name") ?? app : undefined;
  const tainted = [target, appName].find((a) => a && ctx.taint.isTainted(a, WEB_URL_SCHEME));
  if (!tainted) return;
  const sources = ctx.taint.sourcesOf(tainted, WEB_URL_SCHEME);
  const fn = calleeText(call);
  const isApp = tainted === appName || /openApp$/.test(fn);
  const value = abbreviate(tainted);
  ctx.report({
    node: call,
    severity: "critical",
    message: isApp
      ? `${describeSources(sources)} chooses the application that \`${fn}(…)\` starts: whoever controls it runs any program on this machine.`
      : `${describeSources(sources)} reaches \`${fn}(${value})\`, which hands it to the operating system's opener. ` +
        "On Windows the `open` package runs it through PowerShell, so a crafted URL runs commands on this machine (CVE-2025-6514: a malicious MCP server's `authorization_endpoint` did this to the users of an MCP proxy); " +
        "on every platform a `file:` URL or a path launches local programs and scripts.",
    remediation: isApp
      ? `Do not let ${describeSources(sources).charAt(0).toLowerCase() + describeSources(sources).slice(1)} name the program: map it to a fixed set of known applications.`
      : [
          "Open only web URLs: parse the value and refuse every scheme but `https:` (and `http:` if you must) before opening it:",
          "",
          "```ts",
          `const url = new URL(${value});`,
          `if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(\`refusing to open a \${url.protocol} URL\`);`,
          `await ${fn}(url.href);`,
          "```",
          "",
          "Re-serializing through `URL` also percent-encodes characters a shell would read. Where a user is present, print the URL and let them open it instead of launching it.",
        ].join("\n"),
  });
}

function isOptionsObject(node: Node): boolean {
  return Node.isObjectLiteralExpression(followConst(node));
}

function calleeText(call: CallExpression): string {
  return call.getExpression().getText().replace(/\s+/g, "");
}

function toolsOf(ctx: RuleContext, expr: Node): string {
  const sources = ctx.taint.sourcesOf(expr);
  // Data a remote MCP server chose, in client code: say so rather than "tool input".
  const remote = [...new Set(sources.filter((h) => h.kind === "remote" && h.toolName).map((h) => h.toolName!))];
  if (remote.length > 0) return `Remote MCP server (${remote.join(", ")})`;
  const names = sources.map((h) => h.toolName).filter((n): n is string => !!n);
  return names.length > 0 ? `Tool ${names.map((n) => `\`${n}\``).join(", ")}: tool` : "Tool";
}

/**
 * A fix written for this call: when the command starts with a literal program name, the same
 * command as `execFile(program, [args])` with the real expressions (offered as a rewrite of the
 * call when the file already binds that function and no input needs a check of its own);
 * otherwise, advice to replace a free-form command with a fixed set.
 */
function remediationFor(ctx: RuleContext, call: CallExpression, command: Node, ref: ModuleRef, safeFn: string, argv?: Node): { remediation: string; fix?: { node: Node; replacement: string } } {
  const pieces = argv ? undefined : commandPieces(command);
  const rewrite = pieces ? toArgv(pieces, (node) => ctx.taint.isTainted(node)) : undefined;
  const callee = call.getExpression();
  const fn = ref.promisified
    ? `promisify(${safeFn})`
    : Node.isPropertyAccessExpression(callee)
      ? `${callee.getExpression().getText()}.${safeFn}`
      : safeFn;
  const kept = call
    .getArguments()
    .slice(ref.name === "exec" || ref.name === "execSync" ? 1 : argv ? 2 : 1)
    .map(withoutShellOption)
    .filter((a): a is Node | string => a !== undefined);
  const trailing = (shown: (n: Node | string) => string) => (kept.length > 0 ? `, ${kept.map(shown).join(", ")}` : "");
  const noShell = ref.name === "exec" || ref.name === "execSync" ? "" : " (without `shell: true`)";

  if (rewrite && "program" in rewrite) {
    const inputs = rewrite.args.filter((a) => !a.startsWith("'") && !a.startsWith("String("));
    const written = (shown: (n: Node | string) => string) => `${fn}(${rewrite.program}, [${rewrite.args.join(", ")}]${trailing(shown)})`;
    const marker = rewrite.args.find((a) => a === "'--'" || a === "'--end-of-options'");
    const remediation = [
      `Run the program directly, without a shell${noShell}, and pass each value as its own argument:`,
      "",
      "```ts",
      ...rewrite.checks,
      written((n) => (typeof n === "string" ? n : elided(n))),
      "```",
      "",
      `Without a shell, \`;\`, \`|\` or \`$(...)\` in ${inputs.map((i) => `\`${i}\``).join(", ") || "the input"} are plain characters of one argument.` +
        (marker ? ` The ${marker} ends option parsing before the operands, so a value starting with \`-\` cannot become an option; options keep their values.` : "") +
        (rewrite.checks.length > 0 ? " An option follows the input (or the program has no end-of-options marker), so a leading `-` is refused instead." : "") +
        " Also constrain the input in the tool's schema (a `z.enum`, or `z.string().regex(/^[\\w./-]+$/)`).",
    ].join("\n");
    const bound = fnBound(ctx, callee, safeFn, ref.promisified);
    return { remediation, ...(bound && rewrite.checks.length === 0 && withoutComments(call) ? { fix: { node: call, replacement: written((n) => (typeof n === "string" ? n : n.getText())) } } : {}) };
  }
  if (rewrite && "shellSyntax" in rewrite) {
    return {
      remediation: [
        `This command line uses shell syntax (\`${rewrite.shellSyntax}\`), which \`${safeFn}\` cannot express. Run each program with \`${fn}(program, [args])\` and do the piping, redirection or sequencing in JavaScript, passing tool input only as separate arguments.`,
        "Constrain the input in the tool's schema as well (a `z.enum`, or `z.string().regex(/^[\\w./-]+$/)`).",
      ].join("\n\n"),
    };
  }
  if (argv && constantString(command) !== undefined) {
    const written = (shown: (n: Node | string) => string) => `${fn}(${command.getText()}, ${shown(argv)}${trailing(shown)})`;
    return {
      remediation: [
        "Remove `shell: true`: the program then receives its arguments as they are, and shell syntax in them is plain text:",
        "",
        "```ts",
        written((n) => (typeof n === "string" ? n : elided(n))),
        "```",
        "",
        "If the program needs shell features (globs, pipes), do them in JavaScript instead. Also constrain the input in the tool's schema (a `z.enum`, or `z.string().regex(/^[\\w./-]+$/)`).",
      ].join("\n"),
      fix: { node: call, replacement: written((n) => (typeof n === "string" ? n : n.getText())) },
    };
  }
  const what = abbreviate(command);
  return {
    remediation: [
      `\`${what}\` is run by a shell and carries tool input. If it is a fixed program with arguments, run that program with \`${fn}("program", [arg1, arg2])\`, without a shell, passing each tool-input value as its own array element (after \`"--"\` where the program accepts it).`,
      "If tool input decides the whole command, do not run it: declare the operations the tool supports as a fixed set (`z.enum([...])` in its input schema) and map each to a literal program and argument list. If running arbitrary commands is the purpose of the tool, say so in its description, have the client confirm each call with the user, and run it in a sandbox (container, restricted user) rather than on the host.",
    ].join("\n\n"),
  };
}

/**
 * True when `safeFn` (and `promisify`, for a promisified call) names the child_process function in
 * this file as the rewrite writes it: `cp.execFile` through the same namespace as the call, or an
 * import of that name. A rewrite calling a name the file does not bind would not run.
 */
function fnBound(ctx: RuleContext, callee: Node, safeFn: string, promisified: boolean): boolean {
  if (!promisified && Node.isPropertyAccessExpression(callee)) return true;
  const imported = new Set<string>();
  for (const decl of ctx.sourceFile.getImportDeclarations()) {
    const module = decl.getModuleSpecifierValue().replace(/^node:/, "");
    for (const spec of decl.getNamedImports()) if (!spec.getAliasNode() && (module === "child_process" || module === "util")) imported.add(spec.getName());
  }
  return imported.has(safeFn) && (!promisified || imported.has("promisify"));
}

/** An argument as the rewrite keeps it: as it is, or an options object without `shell` (undefined when nothing else was in it). */
function withoutShellOption(arg: Node): Node | string | undefined {
  const obj = unwrap(arg);
  if (!Node.isObjectLiteralExpression(obj) || propertyValue(obj, "shell") === undefined) return arg;
  const kept = obj.getProperties().filter((p) => !(Node.isPropertyAssignment(p) || Node.isShorthandPropertyAssignment(p)) || p.getName() !== "shell");
  return kept.length === 0 ? undefined : `{ ${kept.map((p) => p.getText()).join(", ")} }`;
}
