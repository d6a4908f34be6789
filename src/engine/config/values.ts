/** True when a config value is a reference the client fills in: `${input:token}`, `${env:TOKEN}`, `${TOKEN}`, `$TOKEN`. */
export function isReference(value: string): boolean {
  return /\$\{[^}]+\}|^\$[A-Z_][A-Z0-9_]*$|\{env:[^}]+\}/i.test(value);
}

export interface SecretMatch {
  /** What kind of secret it looks like: "GitHub token", "password in a connection string", ... */
  kind: string;
  /** Offset of the secret inside the value. */
  index: number;
  length: number;
}

/** Values longer than this are not checked: no credential or URL is that long. */
export const MAX_VALUE_LENGTH = 4096;

/** Token formats with a fixed, recognizable prefix. */
const KNOWN_FORMATS: [string, RegExp][] = [
  ["GitHub token", /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/],
  ["Anthropic API key", /\bsk-ant-[A-Za-z0-9_-]{20,}/],
  ["OpenAI API key", /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}/],
  ["AWS access key id", /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ["Stripe secret key", /\b[rs]k_live_[0-9A-Za-z]{16,}/],
  ["GitLab token", /\bglpat-[A-Za-z0-9_-]{20,}/],
  ["Google API key", /\bAIza[0-9A-Za-z_-]{35}/],
];

/** Keys whose value is a credential. */
export const SECRET_KEY_PATTERN = /(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential|auth)/i;

const CONNECTION_STRING = /\b[a-z][a-z0-9+.-]*:\/\/([^:/@\s]+):([^@/\s]+)@/i;
const PLACEHOLDER = /^(?:<.*>|\{.*\}|\[.*\]|x+|\*+|\.+|changeme|change-me|your[-_ ].*|.*[-_]here|example.*|dummy|test|todo|none|null|password|secret|token)$/i;

/**
 * Whether a literal config value holds a secret: a known token format anywhere, a password in a
 * connection string, or a high-entropy value under a credential-like key. References
 * (`${input:...}`, `${env:...}`) and placeholders are not secrets.
 */
export function looksLikeSecret(value: string, key = ""): SecretMatch | undefined {
  // Secrets are short; a huge value is data, and scanning it would only invite regex blow-ups.
  if (value.length > MAX_VALUE_LENGTH) return undefined;
  for (const [kind, re] of KNOWN_FORMATS) {
    const m = re.exec(value);
    if (m && !isReference(m[0])) return { kind, index: m.index, length: m[0].length };
  }
  const conn = CONNECTION_STRING.exec(value);
  if (conn && !isReference(conn[2]!) && !PLACEHOLDER.test(conn[2]!)) {
    return { kind: "password in a connection string", index: conn.index + conn[0].indexOf(`:${conn[2]}@`) + 1, length: conn[2]!.length };
  }
  if (!SECRET_KEY_PATTERN.test(key) || isReference(value)) return undefined;
  const bare = value.replace(/^(?:bearer|basic|token)\s+/i, "");
  if (bare.length < 16 || /\s/.test(bare) || PLACEHOLDER.test(bare) || entropy(bare) < 3.2) return undefined;
  // Generated credentials mix letters and digits; settings such as "oauth2-client-credentials" are words.
  if (!/\d/.test(bare) || !/[A-Za-z]/.test(bare) || /^[a-z]+\d*(?:[-_.][a-z]+\d*)*$/i.test(bare) || /^https?:\/\//i.test(bare)) return undefined;
  return { kind: "credential", index: value.length - bare.length, length: bare.length };
}

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** True for hosts that stay on this machine: localhost, 127.0.0.0/8, ::1, and names under `.localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h.endsWith(".localhost") || /^127(?:\.\d{1,3}){3}$/.test(h) || h === "::1" || h === "0:0:0:0:0:0:0:1";
}
