import type { QueueLogger } from "./review-queue.js";

/** Used when no logger is passed: failures of the queue itself must never be silent. */
export const consoleLogger: QueueLogger = {
  info: () => {},
  warn: (details, message) => console.warn(message, details),
  error: (details, message) => console.error(message, details),
};
