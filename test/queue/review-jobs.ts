import type { ReviewJob } from "../../src/review/review-job.js";
import type { QueueLogger } from "../../src/queue/review-queue.js";

let nextCheckRunId = 1000;

export function reviewJob(overrides: Partial<ReviewJob> = {}): ReviewJob {
  return {
    installationId: 7,
    repositoryId: 42,
    owner: "octo",
    repo: "mcp-server",
    pullNumber: 1,
    headSha: "a".repeat(40),
    checkRunId: nextCheckRunId++,
    trigger: "pull_request",
    ...overrides,
  };
}

/** A promise the test resolves by hand, to hold a job in its processor. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error("condition not met in time"));
      setTimeout(poll, 10);
    };
    poll();
  });
}

export function failure(message: string, retryable?: boolean): Error {
  const error = new Error(message);
  if (retryable !== undefined) Object.assign(error, { retryable });
  return error;
}

export function recordingLogger(): QueueLogger & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    info: () => {},
    warn: () => {},
    error: (_details, message) => errors.push(message),
  };
}
