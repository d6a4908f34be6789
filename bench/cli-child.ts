import { runCli } from "../src/cli/run-cli.js";

/** Runs one `mcp-review scan DIR --format json` in this process and prints its time and peak memory. */
const dir = process.argv[2]!;
const started = performance.now();
const exit = await runCli(["scan", dir, "--format", "json"], { stdout: { write: () => true }, stderr: process.stderr, cwd: process.cwd(), env: process.env });
process.stdout.write(JSON.stringify({ exit, ms: Math.round(performance.now() - started), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");
