import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Html } from "./html.js";

/**
 * What every hub answer carries. No script may run (the pages have none), styles come from this
 * app only, nothing may frame the hub, forms post only to it, and no answer is kept by a cache or
 * the browser's history: pages name private repositories.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-store",
};

export function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendHtml(res: ServerResponse, status: number, page: Html, headers: Record<string, string | string[]> = {}): void {
  send(res, status, page.value, { "content-type": "text/html; charset=utf-8", ...headers });
}

export function redirect(res: ServerResponse, location: string, status = 303, headers: Record<string, string | string[]> = {}): void {
  send(res, status, "", { location, ...headers });
}

/** A POST's form fields; undefined when it is not a form or larger than `limit` bytes. */
export async function readForm(req: IncomingMessage, limit = 8 * 1024): Promise<URLSearchParams | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * True when a POST comes from a page of this app: the browser's `Sec-Fetch-Site` (when sent) says
 * same-origin, and `Origin` (or, without it, `Referer`) is the app's origin. A request that says
 * neither is refused.
 */
export function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return false;
  const given = req.headers.origin;
  if (given !== undefined) return given === origin;
  const referer = req.headers.referer;
  if (!referer) return false;
  try {
    return new URL(referer).origin === origin;
  } catch {
    return false;
  }
}

export function sameToken(a: string | null | undefined, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
