import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import { Probot, Server } from "probot";
import { createRedactingLog } from "../../src/app/redacting-log.js";
import { hubApp } from "../../src/hub/hub-app.js";
import type { ScanJob } from "../../src/inventory/scan-repository.js";
import type { SqlDb } from "../../src/store/sql.js";

export const HUB_WEBHOOK_SECRET = "hub-webhook-secret";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

/** A free TCP port on loopback (Probot's server takes 0 as "use 3000"). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface HubServer {
  /** `http://127.0.0.1:<port>`, where requests go (APP_URL may name another origin). */
  base: string;
  /** Every line the app logged, after redaction, as written. */
  logs: string[];
  /** Rescans the hub queued. */
  queued: ScanJob[];
  hubEnabled: boolean;
  /** Delivers a webhook over HTTP, signed as GitHub signs it. */
  deliver(name: string, payload: object): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Probot's real server (its webhook route, its request logger, its 404) with the hub loaded as the
 * web process loads it, and the redacting log writing JSON lines into `logs`.
 */
export async function startHubServer(options: { env: NodeJS.ProcessEnv; database: () => Promise<SqlDb>; now?: () => number; port?: number }): Promise<HubServer> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const log = await createRedactingLog({ LOG_FORMAT: "json", LOG_LEVEL: "info" }, sink);
  const port = options.port ?? (await freePort());
  const server = new Server({ Probot: Probot.defaults({ appId: 1, privateKey, secret: HUB_WEBHOOK_SECRET, log }), log, host: "127.0.0.1", port });
  const queued: ScanJob[] = [];
  let hub: ReturnType<typeof hubApp> | undefined;
  await server.load((app, appOptions) => {
    hub = hubApp(app, appOptions, {
      env: options.env,
      database: options.database,
      scans: () => ({
        enqueue: async (jobs) => (queued.push(...jobs), jobs.length),
        close: async () => {},
      }),
      ...(options.now ? { now: options.now } : {}),
    });
  });
  await server.start();
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    logs,
    queued,
    hubEnabled: hub!.enabled,
    deliver(name, payload) {
      const body = JSON.stringify(payload);
      return fetch(`${base}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": name,
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${createHmac("sha256", HUB_WEBHOOK_SECRET).update(body).digest("hex")}`,
        },
        body,
      });
    },
    async close() {
      await server.stop();
      await hub?.close();
    },
  };
}

/** A browser without script: follows nothing by itself, keeps cookies as Set-Cookie says. */
export class CookieClient {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly base: string,
    private readonly origin: string,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#send(path, { method: "GET", headers });
  }

  /** A form post from a page of the hub: same origin unless `headers` say otherwise. */
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.#send(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: this.origin, "sec-fetch-site": "same-origin", ...headers },
      body: new URLSearchParams(form).toString(),
    });
  }

  async #send(path: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> {
    const cookie = this.cookieHeader();
    const response = await fetch(`${this.base}${path}`, { ...init, redirect: "manual", headers: { ...(cookie ? { cookie } : {}), ...init.headers } });
    for (const set of response.headers.getSetCookie()) {
      const [pair, ...attributes] = set.split(";").map((p) => p.trim());
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      if (attributes.some((a) => /^max-age=0$/i.test(a)) || value === "") this.cookies.delete(name!);
      else this.cookies.set(name!, value);
    }
    return response;
  }
}
