import type { Finding, SkippedFile, RuleError } from "../types.js";
import type { JsonSchema } from "./json-schema.js";

/** The version of the Inventory JSON shape; raised when a field changes meaning. */
export const INVENTORY_FORMAT = 1;

export type McpTransport = "stdio" | "sse" | "streamable-http";
export type ServerLanguage = "typescript" | "javascript" | "python";

/** Where a server listens, as far as the code says. */
export interface ListenAddress {
  /** The host as written or defaulted (`0.0.0.0`, `127.0.0.1`); absent when it is set at run time. */
  host?: string;
  port?: string;
  /** `all`: every interface (a wildcard, or no host on a framework that then binds all). */
  exposure: "all" | "loopback" | "specific" | "unknown";
  path: string;
  line: number;
}

/** What protects an HTTP MCP endpoint. `unknown`: no HTTP endpoint of the server was found to judge. */
export interface HttpProtections {
  listen: ListenAddress[];
  /** Every MCP endpoint found requires authentication (middleware, token check, `auth=`). */
  auth: boolean | "unknown";
  /** Host or Origin headers are validated (the SDK's DNS-rebinding protection, an allowlist, TrustedHostMiddleware). */
  hostValidation: boolean;
  /** CORS as configured: none, a wildcard (any origin), or restricted to named origins. */
  cors: "none" | "wildcard" | "restricted";
  endpoints: { method: string; route?: string; authenticated: boolean; path: string; line: number }[];
}

/** An MCP server implemented in the scanned code. */
export interface InventoryServer {
  /** Stable within one inventory: `path:line` of the construction. */
  id: string;
  /** The name given to the SDK (`new McpServer({ name })`, `FastMCP("name")`), when written as a constant. */
  name?: string;
  version?: string;
  language: ServerLanguage;
  /** The SDK class: `McpServer`, `Server`, `FastMCP` (and which package). */
  sdk: string;
  path: string;
  line: number;
  transports: McpTransport[];
  /** Present when the server is served over SSE or Streamable HTTP. */
  http?: HttpProtections;
}

export type CapabilityKind = "tool" | "resource" | "prompt";

/** A tool, resource or prompt a server exposes. */
export interface InventoryTool {
  kind: CapabilityKind;
  /** The name clients see; for a resource, its name (or URI when it has none). */
  name: string;
  /** The name is computed at run time (`server.registerTool(meta.name, {...})`): `name` is then the expression, as written. */
  nameComputed?: true;
  /** A resource's URI or URI template. */
  uri?: string;
  description?: string;
  /** JSON Schema of the input (arguments), derived from zod or the Python signature; absent when unknown. */
  inputSchema?: JsonSchema;
  path: string;
  line: number;
  /** The `id` of the server it is registered on, when that can be told. */
  server?: string;
  language: ServerLanguage;
  /** sha256 (first 20 hex) over kind, name, description and input schema: it changes when the definition does. */
  definitionHash: string;
}

/** One server of an MCP client config. */
export interface ConfiguredServer {
  name: string;
  line: number;
  transport: "stdio" | "http" | "sse";
  /** The launch command and its arguments, as written (stdio servers). */
  command?: string;
  args?: string[];
  url?: string;
  /** The package the command fetches and runs (`npx pkg@1.2.3`, `uvx pkg==1.2.3`, `docker run image:tag`). */
  package?: { ecosystem: "npm" | "pypi" | "docker"; name: string; version?: string };
  /** True when the package is fetched at one exact version; false when it floats; absent for local commands and URLs. */
  pinned?: boolean;
  /** Names of environment variables and headers passed (never their values). */
  env?: string[];
}

/** An MCP client config file of the repository. */
export interface InventoryConfig {
  path: string;
  /** The client the file belongs to: "VS Code", "Cursor", "Claude Code", "Claude Desktop", ... */
  client: string;
  servers: ConfiguredServer[];
  parseError?: string;
}

export interface DependencyAdvisory {
  id: string;
  cve?: string;
  summary: string;
  fixed: string;
  url: string;
}

/** An MCP-related package a manifest or lockfile declares, with the advisories that match its version. */
export interface InventoryDependency {
  path: string;
  line: number;
  ecosystem: "npm" | "pypi";
  name: string;
  spec: string;
  exact: boolean;
  /** From a lockfile (what is installed) rather than a manifest (what is asked for). */
  locked: boolean;
  advisories: DependencyAdvisory[];
}

/** What was not read or not analyzed, and why. */
export interface Coverage {
  filesRead: number;
  filesAnalyzed: number;
  linesAnalyzed: number;
  notRead: SkippedFile[];
  ruleErrors: RuleError[];
  /** Whole-repository notes: a truncated tree, an empty repository, a limit reached. */
  notes: string[];
}

/** What a checkout contains, as far as MCP goes. An engine output like Finding. */
export interface Inventory {
  format: typeof INVENTORY_FORMAT;
  servers: InventoryServer[];
  tools: InventoryTool[];
  configs: InventoryConfig[];
  dependencies: InventoryDependency[];
  findings: Finding[];
  coverage: Coverage;
}

/**
 * What one file contributes to an inventory: the unit a scan reuses by blob SHA. Findings are those
 * whose path is the file's; servers, tools, configs and dependencies are those written in it.
 */
export interface FileFacts {
  path: string;
  servers: InventoryServer[];
  tools: InventoryTool[];
  configs: InventoryConfig[];
  dependencies: InventoryDependency[];
  findings: Finding[];
  /** Why the engine did not analyze it (a parse error), when it did not. */
  skipped?: SkippedFile;
  ruleErrors: RuleError[];
  lines: number;
  analyzed: boolean;
  /** Transports created in the file, whichever server they serve (a server in another module, say). */
  transports: McpTransport[];
  /** Where the file's HTTP server listens and what guards it, when it serves an MCP transport over HTTP. */
  http?: HttpProtections;
}
