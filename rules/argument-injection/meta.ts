import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "argument-injection",
  title: "Tool input can become an option of a program",
  severity: "high",
  cwe: "CWE-88",
  confidence: "medium",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/88.html",
    "https://sonarsource.github.io/argument-injection-vectors/",
    "https://nodejs.org/api/child_process.html#child_processexecfilefile-args-options-callback",
  ],
  description:
    "An MCP handler passes tool input as an argument to execFile/spawn (or a Python subprocess argument list) without a shell, but with no `--` before it and nothing stopping it from starting with `-`. The program then reads it as an option: `--upload-pack=...` for git, `--pre=...` for rg, `-exec` for find run commands of the caller's choosing.",
  mentions: /child_process|(?:^|[^.\w$])(?:exec|spawn)\w*\s*\(/,
  mentionsPython: MENTIONS_PY,
};
