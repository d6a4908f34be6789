import { Transform } from "node:stream";
import { getTransformStream } from "@probot/pino";
import pino, { type Logger } from "pino";

/**
 * Probot's request logger writes every URL and, with LOG_FORMAT=json, every request and response
 * header. The hub's sign-in brings a one-time `code` in a URL, its pages a session cookie, and
 * GitHub's answers tokens: none of them may reach a log. Each line is scrubbed as text, after
 * serialization, so that no field a library adds later slips through.
 */
const RULES: [RegExp, string][] = [
  // Headers that carry credentials, as JSON fields (a value or a list of values).
  [/("(?:cookie|set-cookie|authorization|proxy-authorization|x-hub-signature(?:-256)?)"\s*:\s*)("(?:[^"\\]|\\.)*"|\[(?:[^\]"\\]|"(?:[^"\\]|\\.)*")*\])/gi, '$1"[redacted]"'],
  // Query parameters of the sign-in and token requests, in URLs and messages.
  [/([?&;](?:code|state|access_token|refresh_token|client_secret|code_verifier|token)=)[^&\s"'#\\]*/gi, "$1[redacted]"],
  // The hub's cookies wherever they are quoted.
  [/\b(mcp_review_(?:session|sign_in)=)[^;\s"\\]*/g, "$1[redacted]"],
  // GitHub token shapes: user, OAuth, installation, refresh and fine-grained tokens.
  [/\b(?:gh[opusr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, "[redacted]"],
  // `Bearer …` and `token …` credentials inside a text.
  [/\b(Bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}/g, "$1 [redacted]"],
];

export function redactLogLine(line: string): string {
  let out = line;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * The logger Probot's `run()` would make (LOG_LEVEL, LOG_FORMAT, LOG_LEVEL_IN_STRING,
 * LOG_MESSAGE_KEY, SENTRY_DSN), with every line scrubbed by `redactLogLine` first. `out` is where
 * the lines go (standard output by default).
 */
export async function createRedactingLog(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = pino.destination(1) as unknown as NodeJS.WritableStream): Promise<Logger> {
  const format = await getTransformStream({
    // As Probot decides: LOG_FORMAT, else JSON in production.
    logFormat: env.LOG_FORMAT ? (env.LOG_FORMAT === "pretty" ? "pretty" : "json") : env.NODE_ENV === "production" ? "json" : "pretty",
    logLevelInString: env.LOG_LEVEL_IN_STRING === "true",
    ...(env.SENTRY_DSN ? { sentryDsn: env.SENTRY_DSN } : {}),
  });
  const scrub = new Transform({
    transform(chunk, _encoding, done) {
      done(null, redactLogLine(chunk.toString()));
    },
  });
  scrub.pipe(format).pipe(out);
  return pino({ level: env.LOG_LEVEL || "info", name: "probot", messageKey: env.LOG_MESSAGE_KEY || "msg" }, scrub);
}
