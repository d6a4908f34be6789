import { parseCommentCommand } from "../../src/app/comment-command.js";

describe("parseCommentCommand", () => {
  it.each([
    ["/mcp-review rescan", { name: "rescan" }],
    ["@mcp-review rescan", { name: "rescan" }],
    ["  /mcp-review   RESCAN  ", { name: "rescan" }],
    ["Looks good.\r\n/mcp-review rescan", { name: "rescan" }],
    ["/mcp-review help", { name: "help" }],
    ["/mcp-review", { name: "help" }],
    ["/mcp-review deploy", { name: "unknown", word: "deploy" }],
  ])("reads %j", (body, command) => {
    expect(parseCommentCommand(body)).toEqual(command);
  });

  it.each(["please /mcp-review rescan", "/mcp-reviewer rescan", "mcp-review rescan", "/mcp-review rescan now"])("ignores %j", (body) => {
    expect(parseCommentCommand(body)).toBeUndefined();
  });
});
