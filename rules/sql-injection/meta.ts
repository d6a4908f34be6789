import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "sql-injection",
  title: "Tool input is concatenated into SQL",
  severity: "high",
  cwe: "CWE-89",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/89.html",
    "https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html",
    "https://owasp.org/www-community/attacks/SQL_Injection",
  ],
  description:
    "An MCP handler builds an SQL statement from tool input by concatenation, a template literal or a Python f-string or `%` and runs it (query, execute, prepare, all, run, knex.raw, $queryRawUnsafe). Quotes in the input end the string literal, so the caller reads or changes any table the server's database user can reach.",
  // Linear on any text: `\w+Raw` backtracks quadratically over minified code (46 s on node_modules).
  mentions: /\bselect\s+(?:\*|[\w"`.]+)|\binsert\s+into\b|\bdelete\s+from\b|\bupdate\s+[\w"`.]+\s+set\b|\b(?:create|drop|alter)\s+table\b|\$(?:query|execute)RawUnsafe|Raw\s*\(|\b(?:knex|sequelize|prisma|sqlite3?|mysql2?|pg|postgres|database|db|pool)\b/i,
  mentionsPython: MENTIONS_PY,
};
