import type { PythonRuleContext } from "../../src/engine/python/context.js";
import { inputLabel } from "../../src/engine/python/describe.js";
import { nodesWithin } from "../../src/engine/python/module.js";
import type { PyNode } from "../../src/engine/python/parser.js";
import { abbreviatePy, callArgs, calleeOf, constantString, enclosingFunction, unwrapPy } from "../../src/engine/python/values.js";

const HTTP_VERBS = new Set(["get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"]);
const URL_FUNCTIONS = new Set([
  "urllib.request.urlopen", "urllib.request.Request", "urllib.request.urlretrieve", "urllib2.urlopen",
  "requests.get", "requests.post", "requests.put", "requests.patch", "requests.delete", "requests.head", "requests.options", "requests.request",
  "httpx.get", "httpx.post", "httpx.put", "httpx.patch", "httpx.delete", "httpx.head", "httpx.options", "httpx.request", "httpx.stream",
  "aiohttp.request", "urllib3.request", "urllib3.PoolManager.request",
]);
const CLIENT_NAME = /client|session|http|requests|httpx|aiohttp|pool/i;

/** Text pre-filter: an HTTP client, or `urljoin`. */
export const MENTIONS_PY = /\b(?:requests|httpx|urllib\d?|aiohttp|urlopen|urljoin)\b/;
const URLJOIN = new Set(["urllib.parse.urljoin", "urlparse.urljoin", "requests.compat.urljoin"]);

/** The Python check of ssrf: `requests`, `httpx`, `urllib`, `aiohttp` requests whose host comes from tool input. */
export function checkPython(ctx: PythonRuleContext): void {
  urlJoins(ctx);
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
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

/**
 * `urljoin(base, ref)` where tool input is in `ref` without percent-encoding: `urljoin` resolves `../` (leaving the
 * base's path prefix, e.g. an API's `/v1/`), and a `ref` that starts with `//host` or `scheme://` replaces the host.
 * Reported at the join, where the URL is built, unless the joined URL goes straight into a request this rule
 * already reports. A value encoded with `quote(value, safe="")` before it is substituted is not reported.
 */
function urlJoins(ctx: PythonRuleContext): void {
  if (!ctx.module.text.includes("urljoin")) return;
  for (const call of ctx.module.nodesOf("call")) {
    const callee = calleeOf(call)!;
    if (!URLJOIN.has(ctx.module.qualifiedName(callee) ?? "")) continue;
    const args = callArgs(call);
    const ref = args.positional[1] ?? args.keywords.get("url");
    if (!ref || constantString(ref, ctx.module) !== undefined || !ctx.taint.isTainted(ref, "url")) continue;
    if (insideRequestUrl(call) || encodedSubstitutions(ctx, ref)) continue;
    ctx.report({
      node: call,
      message:
        `${inputLabel(ctx.taint.sourcesOf(ref, "url"))} reaches \`${callee.text}(…, ${abbreviatePy(ref, 40)})\` without percent-encoding. ` +
        "`urljoin` resolves `../` in the joined part, so a value like `../../admin` leaves the base URL's path prefix (the API the tool is meant to call), and a value that starts with `//host` or `https://` replaces the host: the server then sends its request, with its own credentials, wherever the input points.",
      remediation: [
        "Percent-encode every value before it goes into the path, slashes and dots included, and keep the base URL's prefix:",
        "",
        "```python",
        "from urllib.parse import quote",
        "",
        'segment = quote(str(value), safe="").replace(".", "%2E")',
        'url = base_url.rstrip("/") + "/" + path_template.replace("{id}", segment).lstrip("/")',
        "```",
        "",
        "or check the joined URL before the request: same scheme and host as the base, and its path still under the base's path.",
      ].join("\n"),
    });
  }
}

/** `client.get(urljoin(base, path))`: the request call is reported with its URL. */
function insideRequestUrl(join: PyNode): boolean {
  const parent = join.parent?.type === "keyword_argument" ? join.parent.parent : join.parent;
  const call = parent?.type === "argument_list" ? parent.parent : undefined;
  const callee = call?.childForFieldName("function");
  return !!callee && (URL_CALLEE.test(callee.text));
}

const URL_CALLEE = /(?:^|\.)(?:get|post|put|patch|delete|head|options|request|stream|urlopen|Request)$/;

/**
 * Every value substituted into the joined part — f-string interpolations, `.format`/`%` arguments, `+` operands,
 * `template.replace(placeholder, value)`, through the local names that hold them — passes through
 * `quote(..., safe="")` or is a literal.
 */
function encodedSubstitutions(ctx: PythonRuleContext, ref: PyNode): boolean {
  const values: PyNode[] = [];
  collectSubstitutions(ref, values, 0);
  return values.length > 0 && values.every((v) => constantString(v, ctx.module) !== undefined || fullyQuoted(ctx, v, 0));
}

function collectSubstitutions(expr: PyNode, out: PyNode[], depth: number): void {
  if (depth > 4) return;
  const e = unwrapPy(expr);
  if (e.type === "call") {
    const callee = e.childForFieldName("function")!;
    if (callee.type === "attribute") {
      const method = callee.childForFieldName("attribute")!.text;
      const args = callArgs(e);
      if (method === "replace" && args.positional[1]) out.push(args.positional[1]);
      else if (method === "format") out.push(...args.positional, ...args.keywords.values());
      collectSubstitutions(callee.childForFieldName("object")!, out, depth + 1);
    }
    return;
  }
  if (e.type === "string") {
    for (const part of e.namedChildren) if (part?.type === "interpolation") out.push(part.namedChildren[0]!);
    return;
  }
  if (e.type === "binary_operator") {
    for (const side of ["left", "right"]) collectSubstitutions(e.childForFieldName(side)!, out, depth + 1);
    return;
  }
  if (e.type === "identifier") {
    // Every assignment to the name in its function: `url = template` then `url = url.replace("{id}", safe)`.
    const fn = enclosingFunction(e);
    for (const assign of fn ? nodesWithin(fn, "assignment") : []) {
      if (assign?.childForFieldName("left")?.text !== e.text) continue;
      const right = assign.childForFieldName("right")!;
      if (right.type === "identifier" || right.type === "attribute" || right.type === "subscript") continue;
      collectSubstitutions(right, out, depth + 1);
    }
  }
}

/** `quote(v, safe="")`, `quote_plus(v, safe="")`, with string methods after it, directly or through a local name. */
function fullyQuoted(ctx: PythonRuleContext, expr: PyNode, depth: number): boolean {
  const e = unwrapPy(expr);
  if (e.type === "call") {
    const callee = e.childForFieldName("function")!;
    if (/(?:^|\.)quote(?:_plus)?$/.test(ctx.module.qualifiedName(callee) ?? "")) {
      const safe = callArgs(e).keywords.get("safe") ?? callArgs(e).positional[1];
      return !!safe && constantString(safe, ctx.module) === "";
    }
    if (callee.type === "attribute") return fullyQuoted(ctx, callee.childForFieldName("object")!, depth);
    return false;
  }
  if (e.type === "identifier" && depth < 3) {
    const fn = enclosingFunction(e);
    const assigned = (fn ? nodesWithin(fn, "assignment") : []).filter((a) => a?.childForFieldName("left")?.text === e.text);
    return assigned.length > 0 && assigned.every((a) => fullyQuoted(ctx, a!.childForFieldName("right")!, depth + 1));
  }
  return false;
}
