import { applyOrgConfig, DEFAULT_CONFIG, ignoreMatcher, parseRepoConfig } from "../../src/config/repo-config.js";

describe("parseRepoConfig", () => {
  it("returns the defaults for a missing or empty file", () => {
    expect(parseRepoConfig(undefined)).toEqual({ config: DEFAULT_CONFIG, errors: [] });
    expect(parseRepoConfig("  \n")).toEqual({ config: DEFAULT_CONFIG, errors: [] });
  });

  it("reads every key", () => {
    const { config, errors } = parseRepoConfig(
      [
        "fail_on: medium",
        "review_drafts: true",
        "ignore: ['test/**', 'docs/**']",
        "rules: { command-injection: off, tool-poisoning: critical }",
        "comments: annotations",
        "max_comments: 5",
        "max_file_size_kb: 100",
        "max_files: 50",
        "allow_suppressions: false",
        "paths: { test: ['qa/**'], production: ['src/testing/**'] }",
        "contexts: { example: production }",
      ].join("\n"),
    );
    expect(errors).toEqual([]);
    expect(config).toEqual({
      fail_on: "medium",
      review_drafts: true,
      ignore: ["test/**", "docs/**"],
      rules: { "command-injection": "off", "tool-poisoning": "critical" },
      comments: "annotations",
      max_comments: 5,
      max_file_size_kb: 100,
      max_files: 50,
      max_dependency_file_mb: 50,
      allow_suppressions: false,
      paths: { test: ["qa/**"], production: ["src/testing/**"] },
      contexts: { test: "listed", example: "production", generated: "listed" },
    });
  });

  it("refuses an unknown context or treatment, naming it", () => {
    const { config, errors } = parseRepoConfig("contexts: { tests: production }\npaths: { docs: ['x/**'] }\n");
    expect(config.contexts).toEqual({ test: "listed", example: "commented", generated: "listed" });
    expect(config.paths).toEqual({});
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^`contexts`: .*tests/);
    expect(errors[1]).toMatch(/^`paths`: .*docs/);
  });

  it("names the bad key and keeps the default for it only", () => {
    const { config, errors } = parseRepoConfig("fail_on: hgh\nmax_comments: 3\n");
    expect(config.fail_on).toBe("high");
    expect(config.max_comments).toBe(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^`fail_on`: .*\(got "hgh"\); using the default "high"$/);
  });

  it("points into nested values", () => {
    const { config, errors } = parseRepoConfig("rules:\n  command-injection: loud\n");
    expect(config.rules).toEqual({});
    expect(errors[0]).toMatch(/^`rules\.command-injection`:/);
  });

  it("reports unknown keys", () => {
    const { errors } = parseRepoConfig("fail-on: low\n");
    expect(errors[0]).toMatch(/^unknown key `fail-on`/);
  });

  it("reports broken YAML with its position and falls back to defaults", () => {
    const { config, errors } = parseRepoConfig("fail_on: [high\nrules: {\n");
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/is not valid YAML at line \d+, column \d+/);
  });

  it("refuses a document that is not a mapping", () => {
    expect(parseRepoConfig("- a\n- b\n").errors[0]).toMatch(/must be a mapping/);
  });
});

describe("ignoreMatcher", () => {
  it("matches globs against POSIX paths, dotfiles included", () => {
    const ignored = ignoreMatcher({ ignore: ["test/**", "**/*.min.js"] });
    expect(ignored("test/a/b.ts")).toBe(true);
    expect(ignored("src/vendor/x.min.js")).toBe(true);
    expect(ignored("src/server.ts")).toBe(false);
    expect(ignoreMatcher({ ignore: [] })("anything")).toBe(false);
  });
});

describe("allow_suppressions and the organization's config", () => {
  it("defaults to honoring suppressions and names a bad value", () => {
    expect(parseRepoConfig(undefined).config.allow_suppressions).toBe(true);
    const { config, errors } = parseRepoConfig("allow_suppressions: off-ish\n");
    expect(config.allow_suppressions).toBe(true);
    expect(errors).toEqual([expect.stringMatching(/^`allow_suppressions`: .*\(got "off-ish"\); using the default true$/)]);
  });

  it("lets the organization disallow suppressions, which a repository cannot turn back on", () => {
    const repo = parseRepoConfig("allow_suppressions: true\nfail_on: low\n");
    const merged = applyOrgConfig(repo, "allow_suppressions: false\nfail_on: critical\n", "acme");
    expect(merged.config).toEqual({ ...repo.config, allow_suppressions: false });
    expect(merged.errors).toEqual([]);
  });

  it("changes nothing without an organization file, or when it allows suppressions", () => {
    const repo = parseRepoConfig("allow_suppressions: false\n");
    expect(applyOrgConfig(repo, undefined, "acme")).toBe(repo);
    expect(applyOrgConfig(repo, "allow_suppressions: true\n", "acme").config.allow_suppressions).toBe(false);
  });

  it("reports the organization file's errors under its own name", () => {
    const merged = applyOrgConfig(parseRepoConfig(undefined), "allow_suppressions: [no]\n", "acme");
    expect(merged.config.allow_suppressions).toBe(true);
    expect(merged.errors).toEqual([expect.stringMatching(/^organization config \(acme\/\.github: \.github\/mcp-review\.yml\): `allow_suppressions`: /)]);
  });
});
