import { Node, SyntaxKind, type CallExpression } from "ts-morph";
import { moduleBoundNames, moduleRefOf } from "../../src/engine/imports.js";
import { describeSources } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import { URL_HOST_ALLOWLIST } from "../../src/engine/sanitizers.js";
import type { Sanitizer } from "../../src/engine/taint.js";
import { abbreviate, elided, constantString, declarationOf, propertyValue, unwrap, descendantsOfKind } from "../../src/engine/values.js";
import { checkPython } from "./python.js";
import { meta } from "./meta.js";

const HTTP_MODULES = new Set(["axios", "got", "got-scraping", "node-fetch", "undici", "ky", "superagent", "needle", "request", "cross-fetch", "isomorphic-fetch", "make-fetch-happen"]);
/** Methods that derive a configured client from a module's default one: `axios.create()`, `got.extend()`. */
const CLIENT_FACTORIES = new Set(["create", "extend"]);
const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "head", "options", "request", "fetch", "stream"]);
const NODE_HTTP = new Set(["http", "https"]);
/** Names a client function is usually imported under: `axios(...)`, `got(...)`, `fetch(...)`. */
const CLIENT_NAMES = /^(?:fetch|axios|got|ky|needle|superagent|request|undici|nodeFetch|crossFetch)$/i;
/** Receivers of `.get(url)`-style calls that may be HTTP clients: the modules, and instances named for them. */
const CLIENT_RECEIVER = /^(?:axios|got|ky|needle|superagent|request|undici|https?|\w*(?:client|api|http|axios|fetcher|instance|session|agent)\w*)$/i;
/** A URL whose scheme and host are fixed text: `https://api.example.com/...`. */
const FIXED_HOST = /^[a-z][a-z0-9+.-]*:\/\/[^/?#${}]+[/?#]/i;

/** A host allowlist, or a URL whose scheme and host are written in the code, wherever it is built. */
const FIXED_HOST_OR_ALLOWLIST: Sanitizer = { ...URL_HOST_ALLOWLIST, safeValue: (expr) => hasFixedHost(expr), safePrefix: (prefix) => FIXED_HOST.test(prefix) };

export const ssrf: Rule = {
  meta,
  checkPython,
  check(ctx) {
    for (const call of descendantsOfKind(ctx.sourceFile, SyntaxKind.CallExpression)) {
      const target = urlArgument(call);
      if (!target || constantString(target) !== undefined || hasFixedHost(target)) continue;
      const sources = ctx.taint.sourcesOf(target, FIXED_HOST_OR_ALLOWLIST);
      if (sources.length === 0) continue;
      const fn = unwrap(call.getExpression()).getText().replace(/\s+/g, "");
      const url = abbreviate(target);
      const id = Node.isIdentifier(unwrap(target)) ? target.getText() : "url";
      ctx.report({
        node: call,
        message:
          `${describeSources(sources)} chooses the URL of \`${fn}(${url})\` with no host allowlist. ` +
          "The server then fetches whatever the caller names — cloud metadata (`http://169.254.169.254/`), services on localhost or the internal network — and hands the response to the model (server-side request forgery).",
        remediation: [
          `Parse the URL and allow only the hosts this tool is meant to reach, over https, before calling \`${fn}\`:`,
          "",
          "```ts",
          `const ALLOWED_HOSTS = new Set(["api.example.com"]);`,
          `const parsed = new URL(${Node.isIdentifier(unwrap(target)) ? id : url});`,
          `if (parsed.protocol !== "https:" || !ALLOWED_HOSTS.has(parsed.hostname)) throw new Error(\`host \${parsed.hostname} is not allowed\`);`,
          `${fn}(${call.getArguments().map((a) => (a === target ? "parsed" : elided(a))).join(", ")})`,
          "```",
          "",
          "If the tool must fetch arbitrary public pages, resolve the host first and refuse private, loopback and link-local addresses (and re-check after redirects: set `redirect: \"manual\"`). Where only a path or query varies, keep the scheme and host fixed in the code (`https://api.example.com/${encodeURIComponent(id)}`).",
        ].join("\n"),
      });
    }
  },
};

/** The URL argument of an HTTP client call, or undefined when the call is not one. */
function urlArgument(call: CallExpression): Node | undefined {
  const written = call.getExpression();
  const callee = unwrap(written);
  const args = call.getArguments();
  const first = args[0];
  if (!first) return undefined;
  // `(undiciFetch as unknown as typeof fetch)(url)`: a cast to fetch's type says what is called.
  if (castToFetch(written)) return first;
  const name = Node.isPropertyAccessExpression(callee) ? callee.getName() : Node.isIdentifier(callee) ? callee.getText() : "";
  // `import { fetch as undiciFetch } from "undici"`, `import { gotScraping } from "got-scraping"`: an alias of a client.
  if (Node.isIdentifier(callee) && !HTTP_METHODS.has(name) && !CLIENT_NAMES.test(name)) {
    const ref = moduleBoundNames(callee.getSourceFile()).has(name) ? moduleRefOf(callee) : undefined;
    const base = ref ?? createdFrom(callee);
    if (base && HTTP_MODULES.has(base.module) && (!ref || ref.name === "*" || ref.name === "default" || ref.name === "fetch" || ref.name === "request" || ref.name === "gotScraping" || HTTP_METHODS.has(ref.name))) return optionsUrl(first);
    return undefined;
  }
  if (!HTTP_METHODS.has(name) && !CLIENT_NAMES.test(name)) return undefined;
  // `map.get(key)`, `router.delete(...)`: only receivers named like an HTTP client are worth a symbol lookup.
  if (Node.isPropertyAccessExpression(callee) && !CLIENT_NAMES.test(name) && !CLIENT_RECEIVER.test(callee.getExpression().getText())) return undefined;
  if (Node.isIdentifier(callee) && callee.getText() === "fetch" && !declarationOf(callee)) return first;
  const ref = moduleRefOf(callee);
  if (ref && HTTP_MODULES.has(ref.module)) {
    if (ref.name === "*" || ref.name === "default" || ref.name === "fetch" || ref.name === "request" || ref.name === "gotScraping" || HTTP_METHODS.has(ref.name)) return optionsUrl(first);
    return undefined;
  }
  if (Node.isIdentifier(callee)) {
    const base = createdFrom(callee);
    if (base && HTTP_MODULES.has(base.module)) return optionsUrl(first);
  }
  if (ref && NODE_HTTP.has(ref.module) && (ref.name === "get" || ref.name === "request")) return optionsUrl(first, true);
  // axios.create() instances and `globalThis.fetch`
  if (Node.isPropertyAccessExpression(callee)) {
    const receiver = unwrap(callee.getExpression());
    if (receiver.getText() === "globalThis" && callee.getName() === "fetch") return first;
    if (Node.isIdentifier(receiver) && HTTP_METHODS.has(callee.getName())) {
      const base = moduleRefOf(receiver) ?? createdFrom(receiver);
      if (base && HTTP_MODULES.has(base.module)) return optionsUrl(first);
    }
  }
  return undefined;
}

const factoryMade = new WeakMap<import("ts-morph").SourceFile, Set<string>>();

/** Names of a file's variables initialized by a `.create(...)` or `.extend(...)` call: the only candidates for `createdFrom`. */
function madeByFactory(id: Node): boolean {
  const file = id.getSourceFile();
  let names = factoryMade.get(file);
  if (!names) {
    names = new Set();
    for (const decl of descendantsOfKind(file, SyntaxKind.VariableDeclaration)) {
      const init = decl.getInitializer();
      const call = init ? unwrap(init) : undefined;
      const callee = call && Node.isCallExpression(call) ? unwrap(call.getExpression()) : undefined;
      if (callee && Node.isPropertyAccessExpression(callee) && CLIENT_FACTORIES.has(callee.getName())) names.add(decl.getName());
    }
    factoryMade.set(file, names);
  }
  return names.has(id.getText());
}

/** A client made by `axios.create()`, `got.extend()`, `ky.create()` (also from another client: `api.extend()`). */
function createdFrom(id: Node, depth = 0): { module: string } | undefined {
  if (!Node.isIdentifier(id) || !madeByFactory(id)) return undefined;
  const decl = declarationOf(id);
  const init = decl && Node.isVariableDeclaration(decl) ? decl.getInitializer() : undefined;
  if (!init || !Node.isCallExpression(unwrap(init)) || depth > 3) return undefined;
  const factory = unwrap((unwrap(init) as CallExpression).getExpression());
  if (!Node.isPropertyAccessExpression(factory) || !CLIENT_FACTORIES.has(factory.getName())) return undefined;
  const ref = moduleRefOf(factory);
  if (ref) return CLIENT_FACTORIES.has(ref.name) ? { module: ref.module } : undefined;
  const receiver = unwrap(factory.getExpression());
  return Node.isIdentifier(receiver) ? createdFrom(receiver, depth + 1) : undefined;
}

/** `f as typeof fetch`, possibly through `as unknown`. */
function castToFetch(expr: Node): boolean {
  let node: Node = expr;
  while (Node.isParenthesizedExpression(node)) node = node.getExpression();
  if (!Node.isAsExpression(node)) return false;
  const type = node.getTypeNode();
  return !!type && /^typeof\s+(?:globalThis\.)?fetch$/.test(type.getText());
}

/** `{ url }`, `{ host, hostname }` options objects: the part that chooses the destination. */
function optionsUrl(arg: Node, nodeHttp = false): Node | undefined {
  const obj = unwrap(arg);
  if (!Node.isObjectLiteralExpression(obj)) return arg;
  const url = propertyValue(obj, "url") ?? propertyValue(obj, "baseURL");
  if (url) return url;
  if (nodeHttp) return propertyValue(obj, "hostname") ?? propertyValue(obj, "host");
  return undefined;
}

/** True when the scheme and host are fixed text and tool input only fills the path or query. */
function hasFixedHost(expr: Node, depth = 0): boolean {
  const node = unwrap(expr);
  if (Node.isTemplateExpression(node)) return FIXED_HOST.test(node.getHead().getLiteralText()) || prefixHasFixedHost(node);
  if (Node.isBinaryExpression(node) && node.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    let left: Node = node;
    while (Node.isBinaryExpression(left) && left.getOperatorToken().getKind() === SyntaxKind.PlusToken) left = left.getLeft();
    const text = constantString(left);
    return text !== undefined && FIXED_HOST.test(text);
  }
  if (Node.isNewExpression(node) && node.getExpression().getText() === "URL") {
    const [path, base] = node.getArguments();
    if (!path || !base) return path ? hasFixedHost(path, depth + 1) : false;
    const baseText = constantString(base);
    // new URL(`/repos/${x}`, "https://api.github.com"): a path starting with one "/" keeps the base's host.
    const pathNode = unwrap(path);
    const head = Node.isTemplateExpression(pathNode) ? pathNode.getHead().getLiteralText() : constantString(pathNode);
    return baseText !== undefined && /^[a-z]+:\/\/[^/]+/i.test(baseText) && head !== undefined && /^\/[^/\\]/.test(head);
  }
  if (Node.isIdentifier(node) && depth < 3) {
    const decl = declarationOf(node);
    if (decl && Node.isVariableDeclaration(decl) && decl.getInitializer()) {
      const list = decl.getVariableStatement()?.getDeclarationKindKeywords()[0]?.getText();
      if (list === "const") return hasFixedHost(decl.getInitializer()!, depth + 1);
    }
  }
  return false;
}

/** `${BASE_URL}/x/${id}` where BASE_URL is a constant with a fixed host. */
function prefixHasFixedHost(node: import("ts-morph").TemplateExpression): boolean {
  if (node.getHead().getLiteralText() !== "") return false;
  const first = node.getTemplateSpans()[0];
  if (!first) return false;
  const base = constantString(first.getExpression());
  if (base === undefined) return false;
  return FIXED_HOST.test(base + first.getLiteral().getLiteralText());
}
