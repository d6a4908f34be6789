import { Html, html, visible } from "./html.js";

/**
 * The small part of Markdown that remediations use (paragraphs, `-` and `1.` lists, fenced code,
 * `inline code`, **bold**, [links](https://...)), rendered from escaped text: nothing in the input
 * becomes markup of its own. Remediations quote the repository's code, which anyone can write, so
 * a link is kept only when it goes to http(s), and opens nothing of this app's.
 */
export function markdown(text: string): Html {
  const blocks: Html[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^\s*(```+|~~~+)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      blocks.push(html`<pre class="code"><code>${visible(body.join("\n"))}</code></pre>`);
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) {
        let item = lines[i++]!.replace(/^\s*([-*]|\d+\.)\s+/, "");
        while (i < lines.length && /^\s{2,}\S/.test(lines[i]!) && !/^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) item += ` ${lines[i++]!.trim()}`;
        items.push(item);
      }
      const lis = items.map((item) => html`<li>${inline(item)}</li>`);
      blocks.push(ordered ? html`<ol>${lis}</ol>` : html`<ul>${lis}</ul>`);
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const paragraph: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "" && !/^\s*(```|~~~)/.test(lines[i]!) && !/^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) paragraph.push(lines[i++]!.trim());
    const heading = /^#{1,6}\s+(.*)$/.exec(paragraph[0] ?? "");
    if (heading && paragraph.length === 1) blocks.push(html`<p><strong>${inline(heading[1]!)}</strong></p>`);
    else blocks.push(html`<p>${inline(paragraph.join(" "))}</p>`);
  }
  return html`${blocks}`;
}

/** Inline code first (its content is literal), then bold and links in what is left. */
function inline(text: string): Html {
  const parts: Html[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    parts.push(visible(text.slice(last, m.index)));
    if (m[1] !== undefined) parts.push(html`<code>${visible(m[1])}</code>`);
    else if (m[2] !== undefined) parts.push(html`<strong>${visible(m[2])}</strong>`);
    else parts.push(link(m[3]!, m[4]!));
    last = m.index + m[0].length;
  }
  parts.push(visible(text.slice(last)));
  return html`${parts}`;
}

function link(label: string, target: string): Html {
  let url: URL | undefined;
  try {
    url = new URL(target);
  } catch {
    url = undefined;
  }
  // Anything but an absolute http(s) URL (javascript:, data:, a path of this app) stays text.
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) return html`${visible(`[${label}](${target})`)}`;
  return html`<a href="${url.toString()}" rel="noopener noreferrer nofollow" class="external">${visible(label)}</a>`;
}
