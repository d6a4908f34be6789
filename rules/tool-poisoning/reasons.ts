/** What makes a tool description poisoned, and how a finding says so: the same for every language. */

/** One kind of hidden instruction, and how it reads in the message. */
interface Detector {
  label: string;
  pattern: RegExp;
}

const SECRET_PATHS = String.raw`(?:~\/\.ssh|\.ssh\/|id_rsa|id_ed25519|id_ecdsa|\.aws\/credentials|mcp\.json|claude_desktop_config\.json|\.netrc|\.npmrc|\.pgpass|\/etc\/(?:passwd|shadow)|\.env\b|\.git-credentials|\.kube\/config)`;
const SECRET_WORDS = String.raw`(?:api[ _-]?keys?|access[ _-]?tokens?|secret[ _-]?keys?|private[ _-]?keys?|credentials|passwords?|ssh[ _-]?keys?|session[ _-]?cookies?|auth(?:entication)?[ _-]?tokens?)`;
const READ_VERBS = String.raw`(?:contents? of|fill|supply|insert|read|cat|open|load|fetch|include|send|pass|provide|attach|upload|append|copy|extract|output|return|forward|put|paste|collect|get)`;

const DETECTORS: readonly Detector[] = [
  { label: "an instruction tag", pattern: /<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|assistant|critical|context|override|prompt)\b[^>]{0,40}>/i },
  {
    label: "an instruction to ignore earlier instructions",
    pattern: /\b(?:ignore|disregard|forget|override)\b[^.\n]{0,30}\b(?:previous|prior|above|earlier|all|other|system|any)\b[^.\n]{0,20}\b(?:instructions?|prompts?|rules|directions|guidelines|messages)\b/i,
  },
  {
    label: "an instruction to keep something from the user",
    pattern:
      /\b(?:do not|don't|dont|never|must not|should not|without)\s+(?:\w+\s+){0,3}?(?:tell(?:ing)?|mention(?:ing)?|inform(?:ing)?|reveal(?:ing)?|notify(?:ing)?|alert(?:ing)?|show(?:ing)?|let(?:ting)?|disclos(?:e|ing)|explain(?:ing)?)\b[^.\n]{0,40}\b(?:user|human|operator)s?\b|\b(?:user|human)\s+(?:must|should)\s+not\s+(?:know|see|be told|notice)\b|\b(?:silently|secretly|covertly)\b[^.\n]{0,40}\b(?:send|read|include|pass|upload|copy|forward)\b/i,
  },
  {
    label: "a request to read secrets",
    pattern: new RegExp(String.raw`\b${READ_VERBS}\b[^\n]{0,60}${SECRET_PATHS}|${SECRET_PATHS}[^\n]{0,40}\b(?:contents?|file)\b[^\n]{0,40}\b(?:as|in|into|to)\b[^\n]{0,20}\b(?:the\s+)?(?:parameter|argument|field|sidenote|note|context)`, "i"),
  },
  {
    label: "a request to pass secrets to the tool",
    pattern: new RegExp(String.raw`\b${READ_VERBS}\b[^.\n]{0,40}\b${SECRET_WORDS}\b[^.\n]{0,40}\b(?:as|in|into|to|via)\s+(?:the\s+|this\s+|a\s+)?(?:['"\`]?\w+['"\`]?\s+)?(?:parameter|argument|field|sidenote|note|tool)`, "i"),
  },
  {
    label: "a precondition that makes the model read files first",
    pattern: new RegExp(String.raw`\bbefore (?:using|calling|invoking|running|you (?:use|call))\b[^\n]{0,80}(?:${SECRET_PATHS}|\b${SECRET_WORDS}\b)`, "i"),
  },
  {
    label: "an instruction aimed at other tools",
    pattern:
      /\b(?:when|whenever|if)\s+(?:using|calling|invoking)\s+(?:the\s+|any\s+|an?\s+)?(?:other|another|any|all)\s+tools?\b|\b(?:all|every)\s+(?:emails?|messages?|requests?|payments?)\s+(?:must|should)\s+(?:be\s+)?(?:sent|forwarded|redirected|cc'?d|bcc'?d)\s+to\b|\b(?:pass|send|forward|include|provide)\b[^.\n]{0,40}\b(?:to|into)\s+(?:the\s+)?(?:other|another|every|all|next)\s+tools?\b/i,
  },
];

export const INVISIBLE = /[\u200B-\u200F\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069]|[\u{E0000}-\u{E007F}]/u;

/** The finding's message, the same for every language. */
export function poisoningMessage(toolName: string | undefined, reasons: readonly string[]): string {
  const where = toolName ? `The description of tool \`${toolName}\`` : "This tool description text";
  return (
    `${where} contains ${reasons.join("; ")}. The model reads tool descriptions as trusted instructions while the user usually sees only the tool name, ` +
    "so this text can make the model leak files or secrets, call other tools, or hide what it did (tool poisoning)."
  );
}

export const POISONING_REMEDIATION = [
  "Keep descriptions to what the tool does and what its parameters mean, in plain visible text:",
  "",
  "- remove instruction tags and any text addressed to the model rather than describing the tool;",
  "- never ask the model to read files, keys or configuration, or to pass data to this or other tools — if the tool needs a secret, read it on the server from its own configuration;",
  "- remove invisible characters (zero-width, bidirectional controls, Unicode tags); they have no place in a description.",
  "",
  "If this text comes from a dependency or generated code you did not write, treat the server as compromised and do not ship it.",
].join("\n");

/** What makes a description text poisoned, one phrase per reason; empty when it is clean. */
export function poisoningReasons(text: string): string[] {
  const reasons: string[] = [];
  const hidden = INVISIBLE.test(text) ? describeInvisible(text) : undefined;
  if (hidden) reasons.push(hidden);
  // Patterns are matched on the text as the model reads it: tags decoded, zero-width characters dropped.
  const visible = decodeTags(text).replace(/[\u200B-\u200F\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069]/g, "");
  for (const detector of DETECTORS) {
    const match = visible.match(detector.pattern);
    if (match) reasons.push(`${detector.label} ("${excerpt(match[0])}")`);
  }
  return reasons;
}

/** Describes the invisible characters of a text: tag characters decoded, the rest as escapes. */
function describeInvisible(text: string): string {
  const tags = [...text].filter((c) => c.codePointAt(0)! >= 0xe0000 && c.codePointAt(0)! <= 0xe007f);
  const parts: string[] = [];
  if (tags.length > 0) {
    const decoded = tags.map((c) => String.fromCodePoint(c.codePointAt(0)! - 0xe0000)).join("");
    parts.push(`invisible Unicode tag characters that decode to "${excerpt(decoded, 160)}"`);
  }
  const others = [...text].filter((c) => c.codePointAt(0)! < 0xe0000 && INVISIBLE.test(c));
  if (others.length > 0) {
    const kinds = [...new Set(others.map(escape))].join(", ");
    parts.push(`${others.length} invisible character${others.length === 1 ? "" : "s"} (${kinds}); as written: "${excerpt(showEscaped(text), 160)}"`);
  }
  return parts.join("; ");
}

function decodeTags(text: string): string {
  return text.replace(/[\u{E0000}-\u{E007F}]/gu, (c) => String.fromCodePoint(c.codePointAt(0)! - 0xe0000));
}

function showEscaped(text: string): string {
  return [...text].map((c) => (INVISIBLE.test(c) && c.codePointAt(0)! < 0xe0000 ? escape(c) : c.codePointAt(0)! >= 0xe0000 && c.codePointAt(0)! <= 0xe007f ? "" : c)).join("");
}

function escape(c: string): string {
  return `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`;
}

function excerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
