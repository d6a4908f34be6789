import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small, stateful fake of the GitHub REST API endpoints mcp-review uses, on loopback. It
 * keeps check runs, reviews and comments like GitHub does, refuses review comments outside the
 * diff with 422 like GitHub does, and can inject latency and failures. Used by the reliability
 * tests and the end-to-end benchmark, where the app runs as real processes (GHE_HOST points
 * Probot here).
 */

export interface FakeFile {
  filename: string;
  status: "added" | "modified" | "removed" | "renamed";
  /** Content at the head commit (absent for removed files). */
  content?: string | Buffer;
  /** The diff GitHub would show; by default every line of an added file is added. */
  patch?: string;
  /** Content at the base commit. */
  baseContent?: string | Buffer;
}

export interface FakePullRequest {
  owner: string;
  repo: string;
  repositoryId: number;
  number: number;
  headSha: string;
  baseSha: string;
  state: "open" | "closed";
  files: FakeFile[];
  /** `.github/mcp-review.yml` on the base branch. */
  config?: string;
}

/** A repository's default branch as the organization scan reads it: its head's files. */
export interface FakeRepository {
  owner: string;
  repo: string;
  id: number;
  defaultBranch?: string;
  /** Undefined: an empty repository. */
  headSha?: string;
  files: Record<string, string | Buffer>;
  private?: boolean;
}

export interface CheckRun {
  id: number;
  owner: string;
  repo: string;
  name: string;
  head_sha: string;
  external_id?: string;
  status: string;
  conclusion?: string;
  output?: { title?: string; summary?: string };
  annotations: unknown[];
  createdAt: number;
  completedAt?: number;
}

export interface ReviewComment {
  id: number;
  pull: number;
  path: string;
  line: number;
  body: string;
  user: { login: string; type: "Bot" | "User" };
}

export interface Fault {
  method: string;
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail; then the route works again. */
  times: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  at: number;
}

const BOT = { login: "mcp-review[bot]", type: "Bot" as const };
const PAGE_LIMIT = 100;
/** GitHub lists at most this many files of a pull request. */
const MAX_PULL_FILES = 3000;
/** The contents API returns no content above this size. */
const CONTENTS_LIMIT = 1024 * 1024;

export class FakeGitHub {
  readonly pulls = new Map<string, FakePullRequest>();
  readonly repositories = new Map<string, FakeRepository>();
  /**
   * The installation's REST quota, when set: every answer carries `x-ratelimit-*` headers and each
   * request (but a 304) takes one; at zero, requests are refused with 403 until `reset` (epoch seconds).
   */
  quota?: { limit: number; remaining: number; reset: number };
  readonly checkRuns = new Map<number, CheckRun>();
  readonly comments = new Map<number, ReviewComment>();
  readonly reviews: Array<{ pull: number; commitId: string; count: number }> = [];
  readonly issueComments: Array<{ pull: number; body: string }> = [];
  readonly requests: RequestRecord[] = [];
  readonly faults: Fault[] = [];
  /** Collaborator permission per login; unknown logins read "read". */
  readonly permissions = new Map<string, string>();
  latencyMs: number;

  #server: Server;
  #nextId = 1000;
  #waiters = new Set<() => void>();

  constructor(options: { latencyMs?: number } = {}) {
    this.latencyMs = options.latencyMs ?? 0;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 5000;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get origin(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** What Probot's baseUrl must be (GHE_HOST=127.0.0.1:PORT, GHE_PROTOCOL=http). */
  get baseUrl(): string {
    return `${this.origin}/api/v3`;
  }

  get host(): string {
    return this.origin.replace("http://", "");
  }

  addRepository(repository: FakeRepository): void {
    this.repositories.set(`${repository.owner}/${repository.repo}`, repository);
  }

  addPullRequest(pull: FakePullRequest): void {
    this.pulls.set(`${pull.owner}/${pull.repo}#${pull.number}`, pull);
  }

  pull(owner: string, repo: string, number: number): FakePullRequest | undefined {
    return this.pulls.get(`${owner}/${repo}#${number}`);
  }

  fail(fault: Omit<Fault, "times"> & { times?: number }): void {
    this.faults.push({ times: 1, ...fault });
  }

  checkRunsFor(headSha: string): CheckRun[] {
    return [...this.checkRuns.values()].filter((c) => c.head_sha === headSha);
  }

  /** Resolves when `predicate` holds, checked after every request; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 20000, what = "the condition"): Promise<void> {
    if (predicate()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.origin);
    // REST under /api/v3, GraphQL at /api/graphql, as on GitHub Enterprise Server.
    const path = url.pathname.replace(/^\/api(?:\/v3)?/, "");
    const method = req.method ?? "GET";
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    const fault = this.faults.find((f) => f.times > 0 && f.method === method && f.path.test(path));
    if (fault) {
      fault.times--;
      status = fault.status;
      body = fault.body ?? { message: `injected ${fault.status}` };
      headers = fault.headers ?? {};
    } else {
      try {
        if (this.quota && this.quota.remaining <= 0 && Date.now() < this.quota.reset * 1000 && !/access_tokens$/.test(path)) {
          [status, body] = [403, { message: "API rate limit exceeded for installation." }];
        } else {
          [status, body, headers = {}] = this.#route(method, path, url.searchParams, text ? JSON.parse(text) : undefined, req.headers);
        }
      } catch (error) {
        [status, body] = [500, { message: (error as Error).message }];
      }
    }
    if (this.quota && !/access_tokens$/.test(path) && path !== "/graphql") {
      if (Date.now() >= this.quota.reset * 1000) Object.assign(this.quota, { remaining: this.quota.limit, reset: Math.ceil(Date.now() / 1000) + 3600 });
      if (status !== 304 && status !== 403) this.quota.remaining = Math.max(0, this.quota.remaining - 1);
      headers = { ...headers, "x-ratelimit-limit": String(this.quota.limit), "x-ratelimit-remaining": String(this.quota.remaining), "x-ratelimit-reset": String(this.quota.reset), "x-ratelimit-resource": "core" };
    }
    this.requests.push({ method, path, status, at: Date.now() });
    const raw = typeof body === "string" && /^text\/|vnd\.github\.sha/.test(headers["content-type"] ?? "");
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(body === undefined || status === 304 ? "" : raw ? (body as string) : JSON.stringify(body));
    for (const waiter of [...this.#waiters]) waiter();
  }

  #route(method: string, path: string, query: URLSearchParams, input: any, requestHeaders: Record<string, string | string[] | undefined> = {}): [number, unknown, Record<string, string>?] {
    let m: RegExpExecArray | null;
    if (method === "GET" && (m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path))) {
      const repository = this.repositories.get(`${m[1]}/${m[2]}`);
      if (!repository) return [404, { message: "Not Found" }];
      return [200, { id: repository.id, full_name: `${repository.owner}/${repository.repo}`, private: !!repository.private, default_branch: repository.defaultBranch ?? "main", archived: false }];
    }
    if (method === "GET" && (m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)$/.exec(path))) {
      const repository = this.repositories.get(`${m[1]}/${m[2]}`);
      if (!repository) return [404, { message: "Not Found" }];
      if (!repository.headSha) return [409, { message: "Git Repository is empty." }];
      if (decodeURIComponent(m[3]!) !== (repository.defaultBranch ?? "main")) return [422, { message: "No commit found for SHA" }];
      const etag = `"${repository.headSha}"`;
      if (requestHeaders["if-none-match"] === etag) return [304, undefined, { etag }];
      return [200, repository.headSha, { etag, "content-type": "application/vnd.github.sha; charset=utf-8" }];
    }
    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return [201, { token: "ghs_fake", expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} }];
    }
    if (method === "POST" && path === "/graphql") return this.#graphql(input);
    if ((m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(path)) === null) return [404, { message: "Not Found" }];
    const [, owner, repo, rest] = m as unknown as [string, string, string, string];

    if (method === "POST" && rest === "check-runs") {
      const run: CheckRun = { id: this.#nextId++, owner, repo, annotations: [], createdAt: Date.now(), ...input };
      this.checkRuns.set(run.id, run);
      return [201, run];
    }
    if ((m = /^check-runs\/(\d+)$/.exec(rest)) && method === "PATCH") {
      const run = this.checkRuns.get(Number(m[1]));
      if (!run) return [404, { message: "Not Found" }];
      const { output, ...fields } = input;
      Object.assign(run, fields);
      if (output) {
        run.output = { title: output.title, summary: output.summary };
        run.annotations.push(...(output.annotations ?? []));
      }
      if (fields.status === "completed" && run.completedAt === undefined) run.completedAt = Date.now();
      return [200, run];
    }
    if ((m = /^check-suites\/(\d+)\/check-runs$/.exec(rest)) && method === "GET") {
      const runs = [...this.checkRuns.values()].filter((r) => r.owner === owner && r.repo === repo && r.name === query.get("check_name"));
      return [200, { total_count: runs.length, check_runs: runs.slice(-1) }];
    }
    if ((m = /^collaborators\/([^/]+)\/permission$/.exec(rest)) && method === "GET") {
      const permission = this.permissions.get(decodeURIComponent(m[1]!)) ?? "read";
      return [200, { permission, role_name: permission }];
    }
    if ((m = /^issues\/comments\/(\d+)\/reactions$/.exec(rest)) && method === "POST") return [201, { id: this.#nextId++, content: input.content }];
    if ((m = /^issues\/(\d+)\/comments$/.exec(rest)) && method === "POST") {
      this.issueComments.push({ pull: Number(m[1]), body: input.body });
      return [201, { id: this.#nextId++ }];
    }
    if ((m = /^pulls\/comments\/(\d+)$/.exec(rest)) && method === "PATCH") {
      const comment = this.comments.get(Number(m[1]));
      if (!comment) return [404, { message: "Not Found" }];
      comment.body = input.body;
      return [200, comment];
    }
    if ((m = /^contents\/(.+)$/.exec(rest)) && method === "GET") return this.#contents(owner, repo, decodeURIComponent(m[1]!), query.get("ref") ?? "");
    if ((m = /^git\/trees\/([0-9a-f]+)$/.exec(rest)) && method === "GET") return this.#tree(owner, repo, m[1]!);

    if ((m = /^pulls\/(\d+)(\/.*)?$/.exec(rest)) === null) return [404, { message: "Not Found" }];
    const pull = this.pull(owner, repo, Number(m[1]));
    if (!pull) return [404, { message: "Not Found" }];
    const sub = m[2] ?? "";

    if (sub === "" && method === "GET") {
      return [200, { number: pull.number, state: pull.state, draft: false, head: { sha: pull.headSha, ref: "feature" }, base: { sha: pull.baseSha, ref: "main" } }];
    }
    if (sub === "/files" && method === "GET") {
      const files = pull.files.slice(0, MAX_PULL_FILES).map((f) => ({
        filename: f.filename,
        status: f.status,
        additions: 0,
        deletions: 0,
        changes: 0,
        ...(patchOf(f) === undefined ? {} : { patch: patchOf(f) }),
      }));
      return this.#page(`/repos/${owner}/${repo}/pulls/${pull.number}/files`, files, query);
    }
    if (sub === "/comments" && method === "GET") {
      const comments = [...this.comments.values()].filter((c) => c.pull === pull.number).map((c) => ({ ...c, user: c.user }));
      return this.#page(`/repos/${owner}/${repo}/pulls/${pull.number}/comments`, comments, query);
    }
    if (sub === "/reviews" && method === "POST") {
      const comments: Array<{ path: string; line: number; body: string }> = input.comments ?? [];
      if (comments.some((c) => !this.#commentable(pull, c.path, c.line))) {
        return [422, { message: "Unprocessable Entity", errors: ["Line could not be resolved"] }];
      }
      for (const c of comments) this.#addComment(pull.number, c);
      this.reviews.push({ pull: pull.number, commitId: input.commit_id, count: comments.length });
      return [200, { id: this.#nextId++ }];
    }
    if (sub === "/comments" && method === "POST") {
      if (!this.#commentable(pull, input.path, input.line)) return [422, { message: "Unprocessable Entity", errors: ["Line could not be resolved"] }];
      return [201, this.#addComment(pull.number, input)];
    }
    return [404, { message: "Not Found" }];
  }

  /** A file's bytes at a commit of one of the pull requests or a repository's head; undefined when there is no such file. */
  #bytes(owner: string, repo: string, path: string, ref: string): Buffer | undefined {
    const repository = this.repositories.get(`${owner}/${repo}`);
    if (repository && repository.headSha === ref) {
      const content = repository.files[path];
      return content === undefined ? undefined : Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
    }
    const pull = [...this.pulls.values()].find((p) => p.owner === owner && p.repo === repo && (p.headSha === ref || p.baseSha === ref));
    if (!pull) return undefined;
    let content: string | Buffer | undefined;
    if (path === ".github/mcp-review.yml") content = ref === pull.baseSha ? pull.config : undefined;
    else {
      const file = pull.files.find((f) => f.filename === path);
      content = ref === pull.headSha ? file?.content : file?.baseContent;
    }
    if (content === undefined) return undefined;
    return Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  }

  /** The head commit's tree of a pull request: its files that exist at the head. */
  #tree(owner: string, repo: string, sha: string): [number, unknown] {
    const repository = this.repositories.get(`${owner}/${repo}`);
    if (repository && repository.headSha === sha) {
      const tree = Object.entries(repository.files).map(([path, content]) => ({ path, mode: "100644", type: "blob", sha: blobSha(content), size: Buffer.byteLength(content) }));
      return [200, { sha, truncated: false, tree }];
    }
    const pull = [...this.pulls.values()].find((p) => p.owner === owner && p.repo === repo && p.headSha === sha);
    if (!pull) return [404, { message: "Not Found" }];
    const tree = pull.files
      .filter((f) => f.content !== undefined)
      .map((f) => ({ path: f.filename, mode: "100644", type: "blob", sha: "0".repeat(40), size: Buffer.byteLength(f.content!) }));
    return [200, { sha, truncated: false, tree }];
  }

  #contents(owner: string, repo: string, path: string, ref: string): [number, unknown] {
    const known = [...this.pulls.values()].some((p) => p.owner === owner && p.repo === repo && (p.headSha === ref || p.baseSha === ref)) || this.repositories.get(`${owner}/${repo}`)?.headSha === ref;
    if (!known) return [404, { message: "No commit found for the ref" }];
    const bytes = this.#bytes(owner, repo, path, ref);
    if (bytes === undefined) return [404, { message: "Not Found" }];
    const tooLarge = bytes.length > CONTENTS_LIMIT;
    return [200, { type: "file", path, size: bytes.length, encoding: tooLarge ? "none" : "base64", content: tooLarge ? "" : bytes.toString("base64") }];
  }

  /**
   * The GraphQL reads the review makes: `f<i>: object(expression: $e<i>)` under
   * `repository(owner: $owner, name: $name)`, answered like GitHub: a Blob with its text (null when
   * binary, repaired when not UTF-8, cut at GRAPHQL_TEXT_LIMIT), or null for a missing path.
   */
  #graphql(input: { query?: string; variables?: Record<string, string> }): [number, unknown] {
    const variables = input.variables ?? {};
    if (!/object\(expression:/.test(input.query ?? "")) return [200, { errors: [{ message: "the fake answers file reads only" }] }];
    const repository: Record<string, object | null> = {};
    for (const [key, expression] of Object.entries(variables)) {
      const index = /^e(\d+)$/.exec(key)?.[1];
      if (index === undefined) continue;
      const colon = expression.indexOf(":");
      const bytes = this.#bytes(variables.owner!, variables.name!, expression.slice(colon + 1), expression.slice(0, colon));
      if (bytes === undefined) {
        repository[`f${index}`] = null;
        continue;
      }
      const isBinary = bytes.subarray(0, 8000).includes(0);
      const text = new TextDecoder("utf-8").decode(bytes.subarray(0, GRAPHQL_TEXT_LIMIT));
      repository[`f${index}`] = { __typename: "Blob", byteSize: bytes.length, isBinary, isTruncated: bytes.length > GRAPHQL_TEXT_LIMIT, text: isBinary ? null : text };
    }
    return [200, { data: { repository } }];
  }

  #page(path: string, items: unknown[], query: URLSearchParams): [number, unknown, Record<string, string>] {
    const perPage = Math.min(Number(query.get("per_page") ?? 30), PAGE_LIMIT);
    const page = Number(query.get("page") ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) headers.link = `<${this.baseUrl}${path}?per_page=${perPage}&page=${page + 1}>; rel="next", <${this.baseUrl}${path}?per_page=${perPage}&page=${last}>; rel="last"`;
    return [200, items.slice((page - 1) * perPage, page * perPage), headers];
  }

  #commentable(pull: FakePullRequest, path: string, line: number): boolean {
    const file = pull.files.find((f) => f.filename === path);
    const patch = file && patchOf(file);
    if (!patch) return false;
    let n = 0;
    for (const text of patch.split("\n")) {
      const header = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(text);
      if (header) {
        n = Number(header[1]);
        continue;
      }
      if (text.startsWith("-")) continue;
      if (n === line) return true;
      n++;
    }
    return false;
  }

  #addComment(pull: number, c: { path: string; line: number; body: string }): ReviewComment {
    const comment: ReviewComment = { id: this.#nextId++, pull, path: c.path, line: c.line, body: c.body, user: BOT };
    this.comments.set(comment.id, comment);
    return comment;
  }
}

/** Where the fake's GraphQL cuts a blob's text (GitHub's own limit is not documented; the review reads such files through REST). */
const GRAPHQL_TEXT_LIMIT = 512 * 1024;

/** GitHub leaves the patch out of the files listing when a file's diff is this large. */
const MAX_PATCH_BYTES = 1024 * 1024;

function patchOf(file: FakeFile): string | undefined {
  if (file.patch !== undefined) return file.patch;
  if (file.status !== "added" || file.content === undefined || Buffer.isBuffer(file.content)) return undefined;
  if (file.content.length > MAX_PATCH_BYTES) return undefined;
  const lines = file.content.replace(/\n$/, "").split("\n");
  return `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`;
}

/** Git's blob id of a file's content. */
export function blobSha(content: string | Buffer): string {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}
