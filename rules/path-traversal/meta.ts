import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "path-traversal",
  title: "Tool input chooses a file path outside the allowed directory",
  severity: "high",
  cwe: "CWE-22",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/22.html",
    "https://github.com/modelcontextprotocol/servers/security/advisories/GHSA-hc55-p739-j48w",
    "https://nodejs.org/api/path.html#pathrelativefrom-to",
    "https://owasp.org/www-community/attacks/Path_Traversal",
  ],
  description:
    "An MCP handler passes tool, resource or prompt input to a filesystem call without checking that the resolved path stays inside the directory the server is meant to expose. `../`, an absolute path or a symlink then reads or writes any file the server can reach: SSH keys, cloud credentials, other MCP servers' configs. A prefix check without a separator (`full.startsWith(root)`) lets `/data-evil` pass for `/data`. A validator that checks the unresolved path when `realpath` fails (a new file) lets a symlinked directory redirect writes.",
  mentions: /\bfs\b|fs-extra|graceful-fs|sendFile|\.startsWith\(\s*[\w.]*(?:root|dir|base|allowed|home|workspace|folder|sandbox|prefix)/i,
  mentionsPython: MENTIONS_PY,
};
