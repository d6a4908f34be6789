import type { PythonRuleContext } from "../../src/engine/python/context.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, constantString } from "../../src/engine/python/values.js";

const HTTP_MODULES = /^(?:requests|httpx|aiohttp|urllib3|httplib2|websockets|openai|anthropic)\b/;
const CLIENT_NAME = /client|session|http|requests|httpx|aiohttp|pool|connector/i;
const TEST_PATH = /(?:^|\/)(?:test_[^/]*|[^/]*_test|conftest)\.py$|(?:^|\/)tests?\//;

/** Text pre-filter: a verification switch. */
export const MENTIONS_PY = /verify\s*=\s*False|ssl\s*=\s*False|verify_ssl\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified_context|PYTHONHTTPSVERIFY|cert_reqs/;

/** The Python check of tls-verification-disabled: `verify=False`, `ssl=False`, `CERT_NONE`, `check_hostname = False`, `ssl._create_unverified_context()`. */
export function checkPython(ctx: PythonRuleContext): void {
  if (TEST_PATH.test(ctx.path)) return;
  for (const call of ctx.module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
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
      report(ctx, call, `\`${abbreviatePy(call, 70)}\` turns certificate verification off (\`${key}=${value.text}\`)`, abbreviatePy(call, 70).replace(`${key}=${value.text}`, key === "cert_reqs" ? `${key}="CERT_REQUIRED"` : `${key}=True`));
    }
  }
  for (const assign of ctx.module.nodesOf("assignment")) {
    const left = assign.childForFieldName("left")?.text ?? "";
    const right = assign.childForFieldName("right");
    if (!right) continue;
    if ((/\.check_hostname$/.test(left) && right.text === "False") || (/\.verify_mode$/.test(left) && /CERT_NONE$/.test(right.text))) {
      report(ctx, assign, `\`${assign.text}\` makes the SSL context accept ${left.endsWith("check_hostname") ? "certificates for any host name" : "any certificate"}`, `${left} = ${left.endsWith("check_hostname") ? "True" : "ssl.CERT_REQUIRED"}`);
    } else if (/os\.environ\[\s*["']PYTHONHTTPSVERIFY["']\s*\]/.test(left) && constantString(right, ctx.module) === "0") {
      report(ctx, assign, "`PYTHONHTTPSVERIFY=0` turns certificate verification off for the whole process", "# remove this line");
    }
  }
}

function report(ctx: PythonRuleContext, node: PyNode, what: string, fixed: string): void {
  ctx.report({
    node,
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
