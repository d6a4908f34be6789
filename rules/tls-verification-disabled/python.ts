import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString } from "../../src/engine/python/values.js";

const HTTP_MODULES = /^(?:requests|httpx|aiohttp|urllib3|httplib2|websockets|openai|anthropic)\b/;
const CLIENT_NAME = /client|session|http|requests|httpx|aiohttp|pool|connector/i;

/** Text pre-filter: a verification switch. */
export const MENTIONS_PY = /verify\s*=\s*False|ssl\s*=\s*False|verify_ssl\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context|PYTHONHTTPSVERIFY|cert_reqs/;

/** The Python check of tls-verification-disabled: `verify=False`, `ssl=False`, `CERT_NONE`, `check_hostname = False`, `ssl._create_unverified_context()`. */
export function checkPython(ctx: PythonRuleContext): void {
    for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    const fn = ctx.module.qualifiedName(callee) ?? "";
    if (fn === "ssl._create_unverified_context") {
      report(ctx, call, `\`${callee.text}()\` creates an SSL context that accepts any certificate`, "ssl.create_default_context()");
      continue;
    }
    const args = callArgs(call);
    for (const key of ["verify", "ssl", "verify_ssl", "cert_reqs"]) {
      const value = args.keywords.get(key);
      if (!value || !(value.text === "False" || /CERT_NONE$/.test(value.text) || constantString(value, ctx.module) === "CERT_NONE")) continue;
      const receiver = callee.type === "attribute" ? callee.childForFieldName("object")!.text : "";
      if (!HTTP_MODULES.test(fn) && !CLIENT_NAME.test(receiver) && !/Connector|Client|Session|PoolManager/.test(fn)) continue;
      const on = key === "cert_reqs" ? '"CERT_REQUIRED"' : "True";
      report(ctx, call, `\`${abbreviatePy(call, 70)}\` turns certificate verification off (\`${key}=${value.text}\`)`, abbreviatePy(call, 70).replace(`${key}=${value.text}`, `${key}=${on}`), { node: value, replacement: on });
    }
  }
  for (const assign of ctx.module.nodesOf("assignment")) {
    const left = assign.childForFieldName("left")?.text ?? "";
    const right = assign.childForFieldName("right");
    if (!right) continue;
    if ((/\.check_hostname$/.test(left) && right.text === "False") || (/\.verify_mode$/.test(left) && /CERT_NONE$/.test(right.text))) {
      const on = left.endsWith("check_hostname") ? "True" : "ssl.CERT_REQUIRED";
      report(ctx, assign, `\`${assign.text}\` makes the SSL context accept ${left.endsWith("check_hostname") ? "certificates for any host name" : "any certificate"}`, `${left} = ${on}`, /CERT_NONE$/.test(right.text) && !right.text.startsWith("ssl.") ? undefined : { node: right, replacement: on });
    } else if (/os\.environ\[\s*["']PYTHONHTTPSVERIFY["']\s*\]/.test(left) && constantString(right, ctx.module) === "0") {
      report(ctx, assign, "`PYTHONHTTPSVERIFY=0` turns certificate verification off for the whole process", "# remove this line");
    }
  }
}

/** A condition that reads an operator's TLS setting: `if not ssl_verify:`, `if settings.insecure_tls:`. */
const TLS_SETTING = /verif|\bssl|tls|insecure|\bcert/i;

/**
 * The condition that turns this code on, when the code runs only where the operator asked for
 * verification off: inside `if not ssl_verify:`, or in a class or function of this module that
 * is only ever used inside such a branch. Undefined otherwise (the flaw is the code's own).
 */
function operatorOptIn(ctx: PythonRuleContext, node: PyNode): PyNode | undefined {
  const own = settingBranch(node);
  if (own) return own;
  let holder: PyNode | undefined;
  for (let n = node.parent; n; n = n.parent) if (n.type === "class_definition" || n.type === "function_definition") holder = n;
  const name = holder?.childForFieldName("name")?.text;
  if (!holder || !name) return undefined;
  const uses = ctx.module.nodesOf("call").filter((call) => {
    const callee = calleeOf(call)!;
    return (callee.text === name || callee.text.endsWith(`.${name}`)) && !(call.startIndex >= holder!.startIndex && call.endIndex <= holder!.endIndex);
  });
  const branches = uses.map(settingBranch);
  return uses.length > 0 && branches.every(Boolean) ? branches[0] : undefined;
}

function settingBranch(node: PyNode): PyNode | undefined {
  let cur = node;
  for (let parent = node.parent; parent; cur = parent, parent = parent.parent) {
    if ((parent.type === "if_statement" || parent.type === "elif_clause") && cur.id === parent.childForFieldName("consequence")?.id) {
      const condition = parent.childForFieldName("condition")!;
      if (TLS_SETTING.test(condition.text)) return condition;
    }
    if (parent.type === "function_definition" && !TLS_SETTING.test(parent.childForFieldName("name")?.text ?? "")) return undefined;
  }
  return undefined;
}

function report(ctx: PythonRuleContext, node: PyNode, what: string, fixed: string, fix?: { node: PyNode; replacement: string }): void {
  const setting = operatorOptIn(ctx, node);
  if (setting) {
    ctx.report({
      node,
      severity: "info",
      message:
        `${what}, only where the operator turns verification off (\`if ${abbreviatePy(setting, 50)}\`). ` +
        "That is the operator's choice, not a flaw of the code, as long as verification stays on by default and turning it off is loud.",
      remediation: [
        "Keep the default on and say so when it is off: log a warning each time the switch is used, and document it as for development against self-signed servers only. Better, let the operator trust their CA instead:",
        "",
        "```python",
        'ssl.create_default_context(cafile="/path/to/ca.pem")  # or verify="/path/to/ca.pem" in requests and httpx',
        "```",
      ].join("\n"),
    });
    return;
  }
  ctx.report({
    node,
    ...(fix ? { fix } : {}),
    message:
      `${what}. Anyone on the network path — the same Wi-Fi, a proxy, a compromised router — can impersonate the server it talks to, read the credentials it sends and feed the MCP server (and through it the model) forged data.`,
    remediation: [
      "Keep verification on:",
      "",
      "```python",
      fixed,
      "```",
      "",
      "If the upstream uses a private CA, trust that CA instead of turning verification off: `verify=\"/path/to/ca.pem\"` (requests, httpx) or `ssl.create_default_context(cafile=\"/path/to/ca.pem\")`.",
    ].join("\n"),
  });
}
