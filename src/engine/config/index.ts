export { launchedPackage, launchWords, programName, type LaunchedPackage, type Word } from "./launch.js";
export { normalizePypi, parseDependencies, type Dependency } from "./manifest.js";
export { parseMcpConfig, type KeyedValue, type McpConfigFile, type McpServerEntry, type Span, type StringValue } from "./mcp-config.js";
export { isLoopbackHost, isReference, looksLikeSecret, MAX_VALUE_LENGTH, SECRET_KEY_PATTERN, type SecretMatch } from "./values.js";
