import type { ScanProgress } from "../scan/tree-scan.js";

/** A terminal stream: progress is drawn only on one. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Redrawing more often than this only costs time. */
const REDRAW_MS = 100;

/** "1,204/4,808 files · 96 kLOC/s · src/tools/ (12 files)" */
export function progressLine(p: ScanProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.linesDone / 1000 / seconds) : 0;
  return `${p.filesDone.toLocaleString("en-US")}/${p.filesTotal.toLocaleString("en-US")} files · ${rate} kLOC/s${p.current ? ` · ${p.current}` : ""}`;
}

/**
 * A progress line on `stream`, redrawn in place at most every 100 ms, and erased by `end()`.
 * Nothing at all when the stream is not a terminal or `quiet` is set, so that JSON and SARIF
 * piped or redirected stay clean (they go to stdout anyway) and logs get no control characters.
 */
export function progressReporter(stream: ProgressStream, quiet: boolean): { update(p: ScanProgress): void; end(): void } {
  if (quiet || !stream.isTTY) return { update() {}, end() {} };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < REDRAW_MS && p.filesDone < p.filesTotal) return;
      last = now;
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      const line = `mcp-review: ${progressLine(p)}`;
      stream.write(`\r\x1b[K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
