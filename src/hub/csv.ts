import { SEVERITIES } from "../engine/types.js";
import type { RepositoryRow } from "./hub-queries.js";

/** The repositories table of a view as CSV: the same rows, filters and order as the page, without paging. */
export function repositoriesCsv(rows: readonly RepositoryRow[], origin: string): string {
  const header = ["repository", "hub_url", "private", "archived", "servers", "tools", "configs", ...SEVERITIES, "open", "last_scan", "last_scanned_commit"];
  return toCsv(
    header,
    rows.map((r) => [r.fullName, `${origin}/hub/repos/${r.id}`, r.private, r.archived, r.servers, r.tools, r.configs, ...SEVERITIES.map((s) => r.open[s]), SEVERITIES.reduce((n, s) => n + r.open[s], 0), r.lastScanAt, r.lastScannedCommit]),
  );
}

/**
 * RFC 4180 CSV. A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a
 * carriage return first) gets a leading `'`: names come from repositories anyone can write to.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
