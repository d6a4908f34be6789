// Gives the queue tests a real Redis: the one at REDIS_URL (or 127.0.0.1:6379) if it answers,
// otherwise a private redis-server on a free loopback port, stopped by global-teardown.js.
import { spawn } from "node:child_process";
import net from "node:net";
import { startPostgres } from "./postgres-setup.js";

export default async function globalSetup() {
  globalThis.__MCP_REVIEW_POSTGRES__ = await startPostgres();
  await startRedis();
}

async function startRedis() {
  const configured = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (await answersPing(configured)) {
    process.env.REDIS_URL = configured;
    return;
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child;
  try {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await new Promise((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
  } catch {
    // No redis-server here: the queue tests say so themselves, with the fix.
    return;
  }
  globalThis.__MCP_REVIEW_REDIS__ = child;
  for (let i = 0; i < 100; i++) {
    if (await answersPing(url)) {
      process.env.REDIS_URL = url;
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`redis-server started on port ${port} but never answered PING`);
}

function answersPing(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
