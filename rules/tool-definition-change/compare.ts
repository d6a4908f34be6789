/** How two versions of a file's tool definitions differ, and what a finding says of it: the same for every language. */

const HIDDEN = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]|[\u{E0000}-\u{E007F}]/u;
const INSTRUCTION =
  /<\/?(?:important|system|instructions?|secret)>|ignore (?:all |any )?(?:previous|prior|above)|do not (?:tell|mention|inform|show)|don'?t (?:tell|mention|inform|show)|without (?:telling|asking|informing)|you (?:must|should) (?:always|first|never)|\b(?:always|first|never) (?:call|use|run|pass|send|read|include)\b|before (?:using|calling) (?:this|any)|~\/\.ssh|id_rsa|\.env\b|mcp\.json|api[_ ]?key|password|credentials?/i;
const TOOL_REFERENCE = /\b(?:call|use|invoke|run|prefer|instead of)\s+(?:the\s+)?[`'"]?[A-Za-z_][\w-]*[`'"]?\s+tool\b/i;

/** A tool definition whose parts are located by `T`: a ts-morph node, or a span of Python text. */
export interface Definition<T> {
  name: string;
  nameAt: T;
  description?: { text: string; at: T };
  schema?: { text: string; at: T };
}

export interface DefinitionChange<T> {
  at: T;
  severity?: "high";
  message: string;
  remediation: string;
}

/** Changes between the tools of a file's base and head versions, one per changed tool. */
export function compareTools<T>(before: Definition<T>[], after: Definition<T>[]): DefinitionChange<T>[] {
  const beforeByName = new Map(before.map((t) => [t.name, t]));
  const afterNames = new Set(after.map((t) => t.name));
  const removed = before.filter((t) => !afterNames.has(t.name));
  const added = after.filter((t) => !beforeByName.has(t.name));
  const otherNames = new Set([...before, ...after].map((t) => t.name));
  const out: DefinitionChange<T>[] = [];

  for (const tool of after) {
    let old = beforeByName.get(tool.name);
    let renamedFrom: string | undefined;
    // One tool gone and one new in the same file is a rename.
    if (!old && removed.length === 1 && added.length === 1) {
      old = removed[0]!;
      renamedFrom = old.name;
    }
    if (!old) continue;
    const rows: [string, string, string][] = [];
    if (renamedFrom !== undefined) rows.push(["name", renamedFrom, tool.name]);
    if ((old.description?.text ?? "") !== (tool.description?.text ?? "")) rows.push(["description", old.description?.text ?? "", tool.description?.text ?? ""]);
    if ((old.schema?.text ?? "") !== (tool.schema?.text ?? "")) rows.push(["input schema", old.schema?.text ?? "", tool.schema?.text ?? ""]);
    if (rows.length === 0) continue;

    const oldText = rows.map((r) => r[1]).join("\n");
    const newText = rows.map((r) => r[2]).join("\n");
    const raised: string[] = [];
    if (HIDDEN.test(newText) && !HIDDEN.test(oldText)) raised.push("adds invisible characters");
    if (INSTRUCTION.test(newText) && !INSTRUCTION.test(oldText)) raised.push("adds instructions to the model");
    const mentioned = [...otherNames].filter((n) => n !== tool.name && n !== renamedFrom && mentions(newText, n) && !mentions(oldText, n));
    if (mentioned.length > 0 || (TOOL_REFERENCE.test(newText) && !TOOL_REFERENCE.test(oldText))) raised.push(mentioned.length > 0 ? `refers to other tools (${mentioned.map((n) => `\`${n}\``).join(", ")})` : "refers to other tools");

    const changed = rows.map((r) => r[0]).join(", ");
    const at = rows.some((r) => r[0] === "description") && tool.description ? tool.description.at : rows.some((r) => r[0] === "input schema") && tool.schema ? tool.schema.at : tool.nameAt;
    const table = `| | before | after |\n|---|---|---|\n${rows.map(([what, a, b]) => `| ${what} | ${cell(a)} | ${cell(b)} |`).join("\n")}`;
    out.push({
      at,
      severity: raised.length > 0 ? "high" : undefined,
      message: `Tool \`${tool.name}\` changes its ${changed}${raised.length > 0 ? `, and the new text ${raised.join(" and ")}` : ""}: clients that approved the tool will follow the new definition without asking again.\n\n${table}`,
      remediation:
        raised.length > 0
          ? "Keep the definition to what the tool does and what its parameters mean, in plain visible text; remove instructions to the model, invisible characters and references to other tools. If you did not write this change, treat it as a supply-chain compromise."
          : "Check that the new definition says only what the tool does, and mention the change in the release notes so that users re-approve the tool knowingly.",
    });
  }
  return out;
}

function mentions(text: string, name: string): boolean {
  return new RegExp(`(?:^|[^\\w-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:[^\\w-]|$)`).test(text);
}

function cell(text: string): string {
  const shown = [...text].map((ch) => (HIDDEN.test(ch) ? `\\u${ch.codePointAt(0)!.toString(16).padStart(4, "0")}` : ch)).join("");
  return shown === "" ? "*(none)*" : `\`${shown.replace(/\|/g, "\\|").replace(/`/g, "'").replace(/\s*\n\s*/g, " ⏎ ")}\``;
}
