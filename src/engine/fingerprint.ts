import { createHash } from "node:crypto";

/**
 * Fingerprints for findings of one file. A fingerprint hashes the rule, the path and the
 * whitespace-normalized code, plus the occurrence index among identical keys — never a line
 * number, so it survives edits elsewhere in the file.
 */
export function fingerprintFindings<T extends { ruleId: string; path: string; code: string; fingerprint?: string }>(items: T[]): void {
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = `${item.ruleId}\0${item.path}\0${item.code.replace(/\s+/g, " ").trim()}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    item.fingerprint = createHash("sha256").update(`${key}\0${occurrence}`).digest("hex").slice(0, 20);
  }
}
