import { classifyGitHubError, toReviewError } from "../../src/review/github-errors.js";

const http = (status: number, headers: Record<string, string> = {}, message = "boom") => Object.assign(new Error(message), { status, response: { headers } });

describe("classifyGitHubError", () => {
  it.each([
    [http(500), "transient"],
    [http(502), "transient"],
    [http(429), "transient"],
    [http(401), "transient"],
    [http(403, { "retry-after": "30" }), "transient"],
    [http(403, { "x-ratelimit-remaining": "0" }), "transient"],
    [http(403, {}, "You have exceeded a secondary rate limit"), "transient"],
    [new Error("socket hang up"), "transient"],
    [http(403, {}, "Resource not accessible by integration"), "permanent"],
    [http(404), "permanent"],
    [http(422), "permanent"],
  ])("%s is %s", (error, kind) => {
    expect(classifyGitHubError(error)).toBe(kind);
  });
});

describe("toReviewError", () => {
  it("says what was being done, with the status, and carries the retry decision", () => {
    const transient = toReviewError("listing files", http(503, {}, "Service Unavailable\nmore"));
    expect(transient.message).toBe("GitHub failed while listing files (HTTP 503): Service Unavailable");
    expect(transient.retryable).toBe(true);
    const permanent = toReviewError("reading x", http(403, {}, "Resource not accessible by integration"));
    expect(permanent.retryable).toBe(false);
    expect(toReviewError("again", permanent)).toBe(permanent);
  });

  it("keeps a message that carries a whole response body short", () => {
    const error = toReviewError("listing files", new Error(`Cannot use 'in' operator in ${"[".repeat(100_000)}`));
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toMatch(/…$/);
  });
});
