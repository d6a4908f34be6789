/** Jest runs the TypeScript sources as native ES modules (Probot 14 is ESM-only). */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Process-level tests (killed workers, Redis crashes) take minutes: .ci/run sets the flag.
  testPathIgnorePatterns: process.env.MCP_REVIEW_SLOW_TESTS === "1" ? ["/node_modules/"] : ["/node_modules/", "<rootDir>/test/slow/"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, diagnostics: false }],
  },
  testTimeout: 30000,
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
};
