import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, constantString } from "../../src/engine/python/values.js";

const HTTP_VERBS = new Set(["get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"]);
const URL_FUNCTIONS = new Set([
  "urllib.request.urlopen", "urllib.request.Request", "urllib.request.urlretrieve", "urllib2.urlopen",
  "requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete", "requests.head", "requests.options", "requests.request",
  "httpx.get", "httpx.post", "httpx.put", "httpx.patch", "httpx.delete", "httpx.head", "httpx.options", "httpx.request", "httpx.stream",
  "aiohttp.request", "urllib3.request", "urllib3.PoolManager.request",
]);
const CLIENT_NAME = /client|session|http|requests|httpx|aiohttp|pool/i;

/** Text pre-filter: an HTTP client. */
export const MENTIONS_PY = /\b(?:requests|httpx|urllib\d?|aiohttp|urlopen)\b/;

/** The Python check of ssrf: `requests`, `httpx`, `urllib`, `aiohttp` requests whose host comes from tool input. */
export function checkPython(ctx: PythonRuleContext): void {
  for (const call of ctx.module.nodesOf("call")) {
    const callee = call.childForFieldName("function")!;
    const fn = ctx.module.qualifiedName(callee) ?? "";
    const args = callArgs(call);
    let url: PyNode | undefined;
    if (URL_FUNCTIONS.has(fn)) {
      url = /\.request$/.test(fn) ? (args.positional[1] ?? args.keywords.get("url")) : (args.positional[0] ?? args.keywords.get("url"));
    } else if (callee.type === "attribute" && HTTP_VERBS.has(callee.childForFieldName("attribute")!.text)) {
      // A client object: `client.get(url)` on httpx.Client / AsyncClient, requests.Session, aiohttp.ClientSession.
      const receiver = callee.childForFieldName("object")!;
      if (!CLIENT_NAME.test(receiver.text) || /^flask\./.test(ctx.module.qualifiedName(receiver) ?? "")) continue;
      url = callee.childForFieldName("attribute")!.text === "request" ? (args.positional[1] ?? args.keywords.get("url")) : (args.positional[0] ?? args.keywords.get("url"));
    }
    if (!url || constantString(url, ctx.module) !== undefined || !ctx.taint.isTainted(url, "url")) continue;
    ctx.report({
      node: call,
      message:
        `${inputLabel(ctx.taint.sourcesOf(url, "url"))} chooses the URL of \`${callee.text}(${abbreviatePy(url)})\`, host included. ` +
        "The server then requests whatever the tool arguments name, from inside its network: cloud metadata (`http://169.254.169.254/`), admin interfaces on localhost, internal services — and returns the answer to the model.",
      remediation: [
        "Fix the host in code and let input choose only the path or query, or check the host against an allowlist before the request:",
        "",
        "```python",
        'ALLOWED_HOSTS = {"api.github.com"}',
        `parsed = urllib.parse.urlparse(${abbreviatePy(url, 40)})`,
        'if parsed.scheme != "https" or parsed.hostname not in ALLOWED_HOSTS:',
        '    raise ValueError(f"host not allowed: {parsed.hostname}")',
        "```",
        "",
        "Also turn off redirects to other hosts (`follow_redirects=False` in httpx, `allow_redirects=False` in requests) or check each hop. If the tool must fetch arbitrary public URLs, resolve the host and refuse private, loopback and link-local addresses (`ipaddress.ip_address(...).is_private`) before connecting.",
      ].join("\n"),
    });
  }
}
