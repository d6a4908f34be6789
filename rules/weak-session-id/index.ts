import { Node, SyntaxKind } from "ts-morph";
import { functionOf } from "../../src/engine/mcp.js";
import type { Rule } from "../../src/engine/rule.js";
import { abbreviate, descendantsOfKind, propertyName, unwrap } from "../../src/engine/values.js";

/** What makes an id guessable, and how the message names it. */
const WEAK_SOURCES: readonly [RegExp, string][] = [
  [/\bMath\.random\s*\(/, "`Math.random()`, which is not a cryptographic generator: its output can be predicted from a few earlier values"],
  [/\b(?:Date\.now|performance\.now)\s*\(|\bnew Date\(\)\.getTime\(\)/, "the current time, which anyone can guess to the millisecond"],
  [/\+\+|\+=\s*1\b|--/, "a counter, so the next id is the last one plus one"],
];
const STRONG = /\brandomUUID\b|\brandomBytes\b|\bgetRandomValues\b|\bnanoid\b|\buuid(?:v4)?\b|\bv4\s*\(|\bcrypto\./;

export const weakSessionId: Rule = {
  meta: {
    id: "weak-session-id",
    title: "Guessable MCP session ids",
    severity: "high",
    cwe: "CWE-338",
    confidence: "high",
    languages: ["typescript", "javascript"],
    references: [
      "https://cwe.mitre.org/data/definitions/338.html",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices#session-hijacking",
      "https://nodejs.org/api/crypto.html#cryptorandomuuidoptions",
    ],
    description:
      "The `sessionIdGenerator` of a Streamable HTTP transport builds session ids from Math.random, the clock or a counter. Whoever guesses another client's Mcp-Session-Id can inject messages into its session and receive its responses (session hijacking).",
    mentions: /sessionIdGenerator/,
  },
  check(ctx) {
    for (const prop of descendantsOfKind(ctx.sourceFile, SyntaxKind.PropertyAssignment)) {
      if (propertyName(prop) !== "sessionIdGenerator") continue;
      const value = unwrap(prop.getInitializerOrThrow());
      const fn = functionOf(value);
      const body = fn ? fn.getText() : value.getText();
      if (STRONG.test(body)) continue;
      const weak = WEAK_SOURCES.find(([pattern]) => pattern.test(body));
      if (!weak || (!fn && !Node.isIdentifier(value))) continue;
      // `crypto` is Node's global Web Crypto, or the node:crypto module when the file imports it by that name.
      const random = /\brandomUUID\b/.test(importedNames(ctx.sourceFile)) ? "randomUUID()" : "crypto.randomUUID()";
      ctx.report({
        fix: { node: prop.getInitializerOrThrow(), replacement: `() => ${random}` },
        node: prop,
        message:
          `\`${abbreviate(prop, 70)}\` makes session ids from ${weak[1]}. The session id is the only thing tying a client to its session: ` +
          "whoever guesses one can send requests into that session and receive its responses and notifications (session hijacking).",
        remediation: [
          "Use a cryptographically random id:",
          "",
          "```ts",
          `import { randomUUID } from "node:crypto";`,
          `const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });`,
          "```",
          "",
          "and bind the session to the authenticated user (check on every request that the session belongs to the caller's token), as the MCP security best practices ask.",
        ].join("\n"),
      });
    }
  },
};

/** The names a file imports, space-separated, for a quick look-up. */
function importedNames(sourceFile: import("ts-morph").SourceFile): string {
  return sourceFile
    .getImportDeclarations()
    .flatMap((d) => d.getNamedImports().filter((n) => !n.getAliasNode()).map((n) => n.getName()))
    .join(" ");
}
