import type { RuleMeta } from "../../src/engine/rule.js";
import { MENTIONS_PY } from "./python.js";

/** What the rule states about itself (see `RuleMeta`): apart from its checks, so that the Python side loads without the TypeScript compiler. */
export const meta: RuleMeta = {
  id: "tls-verification-disabled",
  title: "TLS certificate verification is turned off",
  severity: "high",
  cwe: "CWE-295",
  confidence: "high",
  languages: ["typescript", "javascript", "python"],
  references: [
    "https://cwe.mitre.org/data/definitions/295.html",
    "https://nodejs.org/api/tls.html#tlsconnectoptions-callback",
    "https://nodejs.org/api/cli.html#node_tls_reject_unauthorizedvalue",
  ],
  description:
    "`rejectUnauthorized: false`, `NODE_TLS_REJECT_UNAUTHORIZED=0` or a `checkServerIdentity` that accepts everything makes HTTPS accept any certificate. Anyone on the network path can then read and change the server's traffic, including the API tokens it sends upstream and the data it hands to the model.",
  mentions: /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|strictSSL|checkServerIdentity|insecure|verifySSL|sslVerify|ignoreHTTPSErrors/i,
  mentionsPython: MENTIONS_PY,
};
