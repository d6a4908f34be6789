import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { stringLiteral } from "../../src/engine/python/values.js";
import { secretKind } from "./secret-kind.js";
import { verifiableCredential } from "./verifiable.js";

const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/;

/** Text pre-filter: every Python file can hold a secret; only files with a long literal are worth parsing. */
export const MENTIONS_PY = /["'][^"'\s]{16,}|-----BEGIN/;

/** The Python check of hardcoded-secret: tokens, keys and passwords written as string literals. */
export function checkPython(ctx: PythonRuleContext): void {
  // Test code holds fake credentials on purpose: there, only a verifiable one is reported.
  const inTest = ctx.context === "test";
  for (const literal of ctx.module.nodesOf("string")) {
    // The value is never longer than the literal's text without its two quotes: most literals are too short to read.
    if (literal.endIndex - literal.startIndex < 18) continue;
    const parent = literal.parent;
    // Docstrings and dict keys are not values.
    const holder = parent?.type;
    if (!parent || holder === "expression_statement" || holder === "concatenated_string" || (holder === "pair" && parent.childForFieldName("key")?.id === literal.id)) continue;
    const value = stringLiteral(literal);
    if (value === undefined || value.length < 16) continue;
    const name = nameOf(literal);
    const kind = PRIVATE_KEY.test(value) ? "private key" : secretKind(value, name);
    if (!kind || isLocalDefault(value, kind)) continue;
    const verified = verifiableCredential(value, ctx.module.text);
    if (inTest && !verified) continue;
    const envName = name && /^[A-Z0-9_]+$/.test(name) ? name : name ? name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase() : kind.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
    const variable = name && /^[A-Za-z_]\w*$/.test(name) ? name : "token";
    ctx.report({
      node: literal,
      message:
        `A ${kind} (\`${value.slice(0, 4)}…\`, ${value.length} characters) is written literally in the code${name ? ` as \`${name}\`` : ""}. ` +
        (verified ? `It is a ${verified}, so it is real${inTest ? " even in test code" : ""}. ` : "") +
        "Everyone who can read the repository, a fork or the published package can use it, and it stays in the git history after it is removed.",
      ...(verified ? { countsEverywhere: true } : {}),
      remediation: [
        `Revoke and rotate this ${kind} now: it is exposed already. Then read it from the environment (or the platform's secret store) at startup:`,
        "",
        "```python",
        `${variable} = os.environ["${envName}"]  # KeyError at startup when it is missing`,
        "```",
        "",
        `and have the MCP client pass it: \`"env": { "${envName}": "\${input:${envName.toLowerCase()}}" }\` in its config, never the value itself.`,
      ].join("\n"),
    });
  }
}

/** The variable, attribute, keyword or dict key a literal is the value of. */
function nameOf(literal: PyNode): string | undefined {
  let node = literal;
  let parent = node.parent;
  while (parent && (parent.type === "binary_operator" || parent.type === "parenthesized_expression")) {
    node = parent;
    parent = parent.parent;
  }
  if (!parent) return undefined;
  if (parent.type === "assignment") {
    const left = parent.childForFieldName("left");
    return left?.type === "attribute" ? left.childForFieldName("attribute")!.text : left?.text;
  }
  if (parent.type === "keyword_argument") return parent.childForFieldName("name")?.text;
  if (parent.type === "pair") {
    const key = parent.childForFieldName("key");
    return key ? stringLiteral(key) : undefined;
  }
  if (parent.type === "default_parameter" || parent.type === "typed_default_parameter") return parent.childForFieldName("name")?.text;
  return undefined;
}

/** `postgresql://postgres:postgres@localhost/db`: a development default for a database on this machine, not a leaked secret. */
function isLocalDefault(value: string, kind: string): boolean {
  if (!kind.includes("connection string")) return false;
  const m = /^[a-z][\w+.-]*:\/\/([^:/@]*):([^@]*)@([^:/?#]+)/i.exec(value);
  if (!m) return false;
  const [, user, password, host] = m;
  const local = /^(?:localhost|127\.0\.0\.1|::1|\[::1\]|host\.docker\.internal|db|postgres|mysql|redis|mongo)$/i.test(host!);
  return local && (password === user || /^(?:postgres|password|pass|root|admin|secret|example|changeme|test|dev|guest|mysql|redis)$/i.test(password!));
}
