import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "command-injection",
  title: "Tool input reaches a shell command",
  severity: "high",
  cwe: "CWE-78",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/78.html",
    "https://nodejs.org/api/child_process.html#spawning-shell-commands",
    "https://owasp.org/www-community/attacks/Command_Injection",
    "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
  ],
  description:
    "An MCP tool handler passes its input to a function that runs a shell (child_process exec, execSync, spawn with shell: true, sh -c; Python subprocess with shell=True, os.system, os.popen). The model chooses tool arguments, and a prompt injection in anything it reads can choose them too: shell syntax in the argument runs arbitrary commands with the server's privileges. The `open` package and Electron's `shell.openExternal` are command sinks too, and in MCP client code the remote server's OAuth authorization URL and requests are input (CVE-2025-6514).",
  mentions: /child_process|(?:^|[^.\w$])(?:exec|spawn)\w*\s*\(|["'`](?:-c|\/c)["'`]|["'](?:open|opn|better-opn|electron)["']/,
  mentionsPython: MENTIONS_PY,
};
