export default async function globalTeardown() {
  const child = globalThis.__MCP_REVIEW_REDIS__;
  if (!child) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
