/**
 * HTML that escapes by default. Every interpolated value is text unless it is already `Html`
 * (built by this template, or by `visible`): tool names, descriptions and schemas come from code
 * anyone can commit, and poisoning text is written to deceive whoever reads it.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

/** `html\`<p>${name}</p>\``: `name` is escaped; arrays are joined; `null`, `undefined` and `false` render nothing. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: Part): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/**
 * Characters a reader cannot see or that reorder what they see: zero-width and joiner characters,
 * bidirectional controls, the Unicode tag block (U+E0000–U+E007F, used to smuggle ASCII), and
 * other format and control characters. Tool poisoning hides instructions with them.
 */
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFFB]|[\u{E0000}-\u{E007F}]|[\u{E0100}-\u{E01EF}]/gu;

/**
 * Text an attacker may have written, shown as it is: escaped, and every invisible character shown
 * as a visible escape (`\u200b`, `\u{e0041}`) in a marked span, never rendered. Newlines are kept.
 */
export function visible(text: string): Html {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    out += escapeHtml(text.slice(last, match.index));
    const code = match[0].codePointAt(0)!;
    const escape = code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
    out += `<span class="invisible" title="invisible character U+${code.toString(16).toUpperCase().padStart(4, "0")}">${escape}</span>`;
    last = match.index + match[0].length;
  }
  return new Html(out + escapeHtml(text.slice(last)));
}

/** How many invisible characters a text holds: a page says so beside it. */
export function invisibleCount(text: string): number {
  return [...text.matchAll(INVISIBLE)].length;
}
