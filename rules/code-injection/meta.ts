import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "code-injection",
  title: "Tool input is run as code",
  severity: "critical",
  cwe: "CWE-95",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/95.html",
    "https://nodejs.org/api/vm.html#vm-executing-javascript",
    "https://owasp.org/www-community/attacks/Code_Injection",
  ],
  description:
    "An MCP handler evaluates tool input as code: eval, new Function, the vm module (which is not a security sandbox), or setTimeout with a string; in Python eval, exec or compile. Whoever controls the tool arguments — the model, or a prompt injection it read — runs arbitrary JavaScript with the server's privileges.",
  mentions: /\beval\s*\(|\bFunction\s*\(|\bvm\b|runIn\w*Context|compileFunction|set(?:Timeout|Interval)\s*\(\s*[`"'\w]/,
  mentionsPython: MENTIONS_PY,
};
