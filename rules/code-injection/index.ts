import { Node, SyntaxKind, type CallExpression, type NewExpression } from "ts-morph";
import { moduleRefOf } from "../../src/engine/imports.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import { abbreviate, constantString, declarationOf, descendantsOfKind, unwrap } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

/** Callee names worth resolving: the rest of a file's calls are skipped before any symbol lookup. */
const CODE_RUNNERS = new Set(["eval", "Function", "setTimeout", "setInterval", "runInNewContext", "runInThisContext", "runInContext", "compileFunction", "Script", "SourceTextModule"]);
const VM_FUNCTIONS = new Set(["runInNewContext", "runInThisContext", "runInContext", "compileFunction", "Script", "SourceTextModule"]);

export const codeInjection: Rule = {
  meta,
  checkPython,
  check(ctx) {
    const sinks: { node: CallExpression | NewExpression; code: Node; what: string }[] = [];
    for (const kind of [SyntaxKind.CallExpression, SyntaxKind.NewExpression] as const) {
      for (const call of descendantsOfKind(ctx.sourceFile, kind)) {
        const callee = unwrap(call.getExpression());
        const args = call.getArguments() ?? [];
        const text = Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
        if (!CODE_RUNNERS.has(text)) continue;
        if (Node.isIdentifier(callee) && !declarationOf(callee)) {
          if (text === "eval" && args[0]) sinks.push({ node: call, code: args[0], what: "eval" });
          if (text === "Function" && args.length > 0) sinks.push({ node: call, code: args[args.length - 1]!, what: "new Function" });
          if ((text === "setTimeout" || text === "setInterval") && args[0] && !isFunction(args[0])) sinks.push({ node: call, code: args[0], what: `${text} with a string` });
          continue;
        }
        const ref = moduleRefOf(callee);
        if (ref?.module === "vm" && VM_FUNCTIONS.has(ref.name) && args[0]) sinks.push({ node: call, code: args[0], what: `vm.${ref.name}` });
        if (Node.isPropertyAccessExpression(callee) && /^(runInNewContext|runInThisContext|runInContext)$/.test(callee.getName()) && !ref) {
          // new vm.Script(...).runInNewContext(): the code is the Script's argument, reported there.
        }
      }
    }
    for (const { node, code, what } of sinks) {
      if (constantString(code) !== undefined) continue;
      const sources = ctx.taint.sourcesOf(code);
      if (sources.length === 0) continue;
      ctx.report({
        node,
        message:
          `${describeSources(sources)} reaches \`${abbreviate(node, 60)}\`: ${what} runs it as JavaScript inside the server process, so the caller can read files, environment variables and tokens, or start programs. ` +
          (what.startsWith("vm.") ? "The `vm` module is not a security boundary: `this.constructor.constructor(\"return process\")()` escapes it." : ""),
        remediation: remediation(code, what),
      });
    }
  },
};

function isFunction(node: Node): boolean {
  const n = unwrap(node);
  return Node.isArrowFunction(n) || Node.isFunctionExpression(n) || (Node.isIdentifier(n) && !!declarationOf(n) && !Node.isParameterDeclaration(declarationOf(n)!));
}

function remediation(code: Node, what: string): string {
  const name = abbreviate(code);
  if (what.startsWith("setTimeout") || what.startsWith("setInterval")) {
    return `Pass a function, not a string: \`${what.split(" ")[0]}(() => { /* the work */ }, delay)\`, and keep \`${name}\` as data.`;
  }
  return [
    `Do not run \`${name}\` as code. If the tool evaluates expressions, parse them as data with a dedicated evaluator that has no access to the process — for arithmetic, a math-expression parser such as \`mathjs\`'s \`evaluate\` with a limited scope; for JSON, \`JSON.parse(${name})\`:`,
    "",
    "```ts",
    `const value = JSON.parse(${name}); // data, never code`,
    "```",
    "",
    "If running untrusted code is the tool's purpose, run it in a separate process with no credentials (a container, or an isolate such as `isolated-vm` with memory and time limits), never with `eval`, `new Function` or `vm`, and have the client confirm each call with the user.",
  ].join("\n");
}
