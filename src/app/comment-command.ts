/** Commands people can give in a pull request comment. */
export type CommentCommand = { name: "rescan" } | { name: "help" } | { name: "unknown"; word: string };

const COMMAND = /^\s*[/@]mcp-review(?:\s+([A-Za-z-]+))?\s*$/;

/** The command in a comment's first line that addresses the app, or undefined. */
export function parseCommentCommand(body: string): CommentCommand | undefined {
  for (const line of body.split(/\r?\n/)) {
    const match = COMMAND.exec(line);
    if (!match) continue;
    const word = (match[1] ?? "help").toLowerCase();
    if (word === "rescan" || word === "help") return { name: word };
    return { name: "unknown", word };
  }
  return undefined;
}

export const HELP_TEXT = [
  "**mcp-review** reviews this pull request for security flaws in MCP servers and MCP client configs.",
  "",
  "| command | what it does |",
  "|---|---|",
  "| `/mcp-review rescan` | review the pull request's current head again (needs write access) |",
  "| `/mcp-review help` | show this message |",
  "",
  "`@mcp-review` works as well as `/mcp-review`. The check run's **Re-run** button also starts a fresh review. Settings live in `.github/mcp-review.yml` on the base branch.",
].join("\n");
