import type { Rule } from "../src/engine/rule.js";
import { argumentInjection } from "./argument-injection/index.js";
import { bindAllInterfaces } from "./bind-all-interfaces/index.js";
import { codeInjection } from "./code-injection/index.js";
import { commandInjection } from "./command-injection/index.js";
import { configCleartextTransport } from "./config-cleartext-transport/index.js";
import { configExcessivePermissions } from "./config-excessive-permissions/index.js";
import { configHardcodedSecret } from "./config-hardcoded-secret/index.js";
import { configShellLaunch } from "./config-shell-launch/index.js";
import { configUnpinnedServer } from "./config-unpinned-server/index.js";
import { dnsRebinding } from "./dns-rebinding/index.js";
import { hardcodedSecret } from "./hardcoded-secret/index.js";
import { missingAuth } from "./missing-auth/index.js";
import { pathTraversal } from "./path-traversal/index.js";
import { sqlInjection } from "./sql-injection/index.js";
import { ssrf } from "./ssrf/index.js";
import { suppressionWithoutReason } from "./suppression-without-reason/index.js";
import { tlsVerificationDisabled } from "./tls-verification-disabled/index.js";
import { tokenPassthrough } from "./token-passthrough/index.js";
import { toolDefinitionChange } from "./tool-definition-change/index.js";
import { toolPoisoning } from "./tool-poisoning/index.js";
import { unsafeDeserialization } from "./unsafe-deserialization/index.js";
import { vulnerableMcpDependency } from "./vulnerable-mcp-dependency/index.js";
import { weakSessionId } from "./weak-session-id/index.js";
import { wildcardCors } from "./wildcard-cors/index.js";

/** Every rule, sorted by id. A test checks that this list and the rule folders agree. */
export const RULES: readonly Rule[] = [
  argumentInjection,
  bindAllInterfaces,
  codeInjection,
  commandInjection,
  configCleartextTransport,
  configExcessivePermissions,
  configHardcodedSecret,
  configShellLaunch,
  configUnpinnedServer,
  dnsRebinding,
  hardcodedSecret,
  missingAuth,
  pathTraversal,
  sqlInjection,
  ssrf,
  suppressionWithoutReason,
  tlsVerificationDisabled,
  tokenPassthrough,
  toolDefinitionChange,
  toolPoisoning,
  unsafeDeserialization,
  vulnerableMcpDependency,
  weakSessionId,
  wildcardCors,
];
