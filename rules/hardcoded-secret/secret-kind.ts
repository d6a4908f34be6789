import { looksLikeSecret } from "../../src/engine/config/index.js";

/** Names whose value is a credential. Stricter than the config rule's: code has `author`, `authUrl`, `tokenizer`. */
const SECRET_NAME = /(?:token|secret|passw(?:or)?d|^pwd$|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credential|^auth$|authorization|bearer)(?!izer|s?(?:url|uri|path|file|endpoint|header|name|type|count|length|limit|regex|pattern|env|var|key_?name)\b)/i;

/** What kind of secret a literal is, given the name it is the value of (a variable, a property, a keyword); undefined when it is none. */
export function secretKind(value: string, name: string | undefined): string | undefined {
  const match = looksLikeSecret(value, name && SECRET_NAME.test(name) ? name : "");
  // Documented sample credentials (AWS's AKIAIOSFODNN7EXAMPLE) and redacted values are not secrets.
  if (!match || /example|redacted|x{6,}|\*{4,}/i.test(value)) return undefined;
  // A regular expression's source (`[A-Za-z0-9._~+/-]+=*`) is a pattern for tokens, not one.
  if (match.kind === "credential" && /[[\](){}\\|\s]/.test(value)) return undefined;
  // client_secret_basic, bearer_token_header: a name of a method or field, not a value.
  if (match.kind === "credential" && (/^[a-z]+(?:[_-][a-z]+)+$/.test(value) || /(?:method|mode|type|scheme|style|kind|format)s?$/i.test(name ?? ""))) return undefined;
  // A URL, a path (`/rest/oauth2/token`, `api/v1/keys`) or a constant's name is where a secret is found, not one.
  if (match.kind === "credential" && (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isPath(value) || /^[A-Z_]+$/.test(value))) return undefined;
  return match.kind;
}

/**
 * A path of words (`/rest/oauth2/latest/token`), not base64 that happens to hold slashes: no
 * segment mixes cases the way random text does (`wJalrXUtnFEMI/K7MDENG/bPxRfiCY`).
 */
function isPath(value: string): boolean {
  if (!/^\/?[\w.-]+\/[\w./-]+$/.test(value)) return false;
  return value.split("/").every((segment) => (segment.match(/[A-Z]/g)?.length ?? 0) < 2 || !/[a-z]/.test(segment));
}
