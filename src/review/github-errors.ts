/**
 * Retry or give up, decided in one place by HTTP status (STYLE.md): 5xx, 429, rate limits and
 * network failures are transient; other 4xx are not and retrying them only burns quota.
 */
export type ErrorKind = "transient" | "permanent";

interface HttpishError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

export function classifyGitHubError(error: unknown): ErrorKind {
  const e = error as HttpishError;
  const status = typeof e?.status === "number" ? e.status : undefined;
  if (status === undefined) return "transient"; // DNS, reset, timeout: no answer at all
  if (status >= 500 || status === 429 || status === 401) return "transient"; // 401: token expired mid-job
  if (status === 403 && isRateLimited(e)) return "transient";
  return "permanent";
}

function isRateLimited(e: HttpishError): boolean {
  const headers = e.response?.headers ?? {};
  if (headers["retry-after"] !== undefined) return true;
  if (String(headers["x-ratelimit-remaining"]) === "0") return true;
  return /rate limit/i.test(e.message ?? "");
}

/** An error carrying the queue's retry decision (`retryable === false` is never retried). */
export class ReviewError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "ReviewError";
    this.retryable = options.retryable;
  }
}

/** Wrap a GitHub failure in a ReviewError that says what was being done and whether to retry. */
export function toReviewError(doing: string, error: unknown): ReviewError {
  if (error instanceof ReviewError) return error;
  const e = error as HttpishError;
  const status = typeof e?.status === "number" ? ` (HTTP ${e.status})` : "";
  // GitHub's message can carry a whole response body: keep the check run's summary readable.
  const detail = truncate((e?.message ?? String(error)).split("\n")[0]!, MAX_DETAIL_CHARS);
  return new ReviewError(`GitHub failed while ${doing}${status}: ${detail}`, {
    retryable: classifyGitHubError(error) === "transient",
    cause: error,
  });
}

const MAX_DETAIL_CHARS = 300;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as HttpishError)?.status;
  return typeof status === "number" ? status : undefined;
}
