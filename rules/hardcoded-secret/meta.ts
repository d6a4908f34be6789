import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "hardcoded-secret",
  title: "Secret written into server code",
  severity: "high",
  cwe: "CWE-798",
  confidence: "medium",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/798.html",
    "https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns",
    "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
  ],
  description:
    "A token, API key, private key or password written literally in server code is readable by everyone who can read the repository, its forks and its published package, and cannot be rotated without a release. MCP servers often hold exactly these: GitHub, OpenAI, Anthropic, Slack, AWS and database credentials.",
  mentions: /gh[pousr]_|github_pat_|\bsk-|\b(?:AKIA|ASIA)[0-9A-Z]{16}|xox[abposr]-|_live_|glpat-|AIza|PRIVATE KEY|:\/\/[^\s:@/"'`]+:[^\s@/"'`]+@|(?:token|secret|passw|pwd|api[_-]?key|apikey|access[_-]?key|credential|auth|bearer)\w*["']?\s*[:=]\s*["'`]/i,
  mentionsPython: MENTIONS_PY,
};
