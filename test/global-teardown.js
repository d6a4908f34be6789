import { stopPostgres } from "./postgres-setup.js";

export default async function globalTeardown() {
  stopPostgres(globalThis.__MCP_REVIEW_POSTGRES__);
  const child = globalThis.__MCP_REVIEW_REDIS__;
  if (!child) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
