import type { Severity } from "../engine/types.js";
import { html, visible, type Html } from "./html.js";
import type { WhoUsesKind } from "./hub-queries.js";

/** The line on GitHub at the scanned commit: `https://github.com/o/r/blob/<sha>/<path>#L3-L5`. */
export function blobUrl(web: string, fullName: string, commit: string | null, path: string, line?: number, endLine?: number | null): string | undefined {
  if (!commit || !/^[0-9a-f]{7,64}$/i.test(commit)) return undefined;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  const anchor = line ? `#L${line}${endLine && endLine > line ? `-L${endLine}` : ""}` : "";
  return `${web}/${fullName.split("/").map(encodeURIComponent).join("/")}/blob/${commit}/${encoded}${anchor}`;
}

/** `path:line`, linked to GitHub when the commit is known; the path is repository text, shown visibly. */
export function location(web: string, fullName: string, commit: string | null, path: string, line: number, endLine?: number | null): Html {
  const url = blobUrl(web, fullName, commit, path, line, endLine);
  const text = html`<span class="mono">${visible(path)}:${line}</span>`;
  return url ? html`<a href="${url}" rel="noopener noreferrer" title="Open on GitHub at ${commit!.slice(0, 7)}">${text}</a>` : text;
}

export function repoHref(id: number): string {
  return `/hub/repos/${id}`;
}

export function whoUsesHref(kind: WhoUsesKind, name: string): string {
  return `/hub/who-uses?${new URLSearchParams({ kind, name }).toString()}`;
}

export function severityBadge(severity: Severity, count?: number): Html {
  if (count === undefined) return html`<span class="badge ${severity}">${severity}</span>`;
  return html`<span class="badge ${count === 0 ? "zero" : severity}" title="${count} ${severity}">${count}</span>`;
}

/** A date and time in UTC, or a dash. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "—" : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? "—" : `${Math.round((part / whole) * 100)}%`;
}
