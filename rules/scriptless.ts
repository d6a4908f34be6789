import type { Rule } from "../src/engine/rule.js";
import { checkPython as argumentInjectionPython } from "./argument-injection/python.js";
import { meta as argumentInjection } from "./argument-injection/meta.js";
import { checkPython as bindAllInterfacesPython } from "./bind-all-interfaces/python.js";
import { meta as bindAllInterfaces } from "./bind-all-interfaces/meta.js";
import { checkPython as codeInjectionPython } from "./code-injection/python.js";
import { meta as codeInjection } from "./code-injection/meta.js";
import { checkPython as commandInjectionPython } from "./command-injection/python.js";
import { meta as commandInjection } from "./command-injection/meta.js";
import { configCleartextTransport } from "./config-cleartext-transport/index.js";
import { configExcessivePermissions } from "./config-excessive-permissions/index.js";
import { configHardcodedSecret } from "./config-hardcoded-secret/index.js";
import { configShellLaunch } from "./config-shell-launch/index.js";
import { configUnpinnedServer } from "./config-unpinned-server/index.js";
import { checkPython as dnsRebindingPython } from "./dns-rebinding/python.js";
import { meta as dnsRebinding } from "./dns-rebinding/meta.js";
import { checkPython as hardcodedSecretPython } from "./hardcoded-secret/python.js";
import { meta as hardcodedSecret } from "./hardcoded-secret/meta.js";
import { checkPython as missingAuthPython } from "./missing-auth/python.js";
import { meta as missingAuth } from "./missing-auth/meta.js";
import { checkPython as pathTraversalPython } from "./path-traversal/python.js";
import { meta as pathTraversal } from "./path-traversal/meta.js";
import { checkPython as sqlInjectionPython } from "./sql-injection/python.js";
import { meta as sqlInjection } from "./sql-injection/meta.js";
import { checkPython as ssrfPython } from "./ssrf/python.js";
import { meta as ssrf } from "./ssrf/meta.js";
import { suppressionWithoutReason } from "./suppression-without-reason/index.js";
import { checkPython as tlsVerificationDisabledPython } from "./tls-verification-disabled/python.js";
import { meta as tlsVerificationDisabled } from "./tls-verification-disabled/meta.js";
import { checkPython as tokenPassthroughPython } from "./token-passthrough/python.js";
import { meta as tokenPassthrough } from "./token-passthrough/meta.js";
import { checkText as toolDefinitionChangeText } from "./tool-definition-change/python.js";
import { meta as toolDefinitionChange } from "./tool-definition-change/meta.js";
import { checkPython as toolPoisoningPython } from "./tool-poisoning/python.js";
import { meta as toolPoisoning } from "./tool-poisoning/meta.js";
import { unsafeDeserialization } from "./unsafe-deserialization/index.js";
import { vulnerableMcpDependency } from "./vulnerable-mcp-dependency/index.js";

/**
 * Every rule that reads anything but TypeScript and JavaScript, with only those checks: Python,
 * MCP client configs and manifests, raw text. The same metas and check functions as in `RULES`, in
 * the same order (a test holds them to it), from modules that never load the TypeScript compiler:
 * what a scan thread runs on a unit without TypeScript or JavaScript files (`analyzeScriptless`).
 */
export const SCRIPTLESS_RULES: readonly Rule[] = [
  { meta: argumentInjection, checkPython: argumentInjectionPython },
  { meta: bindAllInterfaces, checkPython: bindAllInterfacesPython },
  { meta: codeInjection, checkPython: codeInjectionPython },
  { meta: commandInjection, checkPython: commandInjectionPython },
  configCleartextTransport,
  configExcessivePermissions,
  configHardcodedSecret,
  configShellLaunch,
  configUnpinnedServer,
  { meta: dnsRebinding, checkPython: dnsRebindingPython },
  { meta: hardcodedSecret, checkPython: hardcodedSecretPython },
  { meta: missingAuth, checkPython: missingAuthPython },
  { meta: pathTraversal, checkPython: pathTraversalPython },
  { meta: sqlInjection, checkPython: sqlInjectionPython },
  { meta: ssrf, checkPython: ssrfPython },
  suppressionWithoutReason,
  { meta: tlsVerificationDisabled, checkPython: tlsVerificationDisabledPython },
  { meta: tokenPassthrough, checkPython: tokenPassthroughPython },
  { meta: toolDefinitionChange, checkText: toolDefinitionChangeText },
  { meta: toolPoisoning, checkPython: toolPoisoningPython },
  unsafeDeserialization,
  vulnerableMcpDependency,
];
