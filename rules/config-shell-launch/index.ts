import { launchWords, MAX_VALUE_LENGTH, programName } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "ksh", "fish", "ash", "cmd", "powershell", "pwsh"]);
const SHELL_FLAG = /^(?:-c|-lc|-ic|-ec|\/c|\/k|-command|-encodedcommand|-e)$/i;
/** Downloading a script and piping it to an interpreter, in any spelling. */
const PIPE_TO_SHELL = /\b(?:curl|wget|iwr|invoke-webrequest|irm|invoke-restmethod)\b[^|;&]*\|\s*(?:sudo\s+)?(?:sh|bash|zsh|python3?|node|iex|invoke-expression)\b|\biex\s*\(|\beval\s+"?\$\(\s*(?:curl|wget)/i;

export const configShellLaunch: Rule = {
  meta: {
    id: "config-shell-launch",
    title: "MCP server started through a shell command line",
    severity: "high",
    cwe: "CWE-78",
    confidence: "medium",
    languages: ["mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/78.html",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
    ],
    description:
      "A server started through `bash -c \"...\"`, `cmd /c` or `curl ... | sh` runs a shell program instead of one reviewed binary: whatever the script or the download says runs with the user's permissions each time the client starts, and variables in the line are expanded by the shell.",
  },
  checkConfig(ctx) {
    for (const server of ctx.config.servers) {
      const words = launchWords(server);
      const first = words[0];
      if (!first) continue;
      const pipe = words.find((w) => w.value.length <= MAX_VALUE_LENGTH && PIPE_TO_SHELL.test(w.value));
      if (pipe) {
        ctx.report({
          offset: pipe.offset,
          length: pipe.length,
          message: `Server \`${server.name}\` downloads a script and runs it (\`${abbreviate(pipe.value)}\`) every time the client starts: whoever controls that URL runs code on this machine.`,
          remediation: "Install the server once from a package manager at a pinned version and start its binary directly, e.g. `\"command\": \"npx\", \"args\": [\"-y\", \"pkg@1.2.3\"]`.",
          severity: "critical",
        });
        continue;
      }
      const program = programName(first.value);
      const flag = words.slice(1).find((w) => SHELL_FLAG.test(w.value));
      if (SHELLS.has(program) && flag) {
        ctx.report({
          offset: first.offset,
          length: first.length,
          message: `Server \`${server.name}\` is started through \`${program} ${flag.value}\`: the client runs a shell program, so its expansions, pipes and substitutions run too, and the line is easy to change into something else.`,
          remediation: "Put the server's own executable in `command` and each argument in `args`, with no shell in between; pass settings through `env` rather than shell variables.",
        });
      }
    }
  },
};

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
