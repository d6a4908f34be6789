import { launchedPackage, launchWords } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";

export const configUnpinnedServer: Rule = {
  meta: {
    id: "config-unpinned-server",
    title: "MCP server started from an unpinned package or image",
    severity: "medium",
    cwe: "CWE-1357",
    confidence: "high",
    languages: ["mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/1357.html",
      "https://docs.npmjs.com/cli/v10/commands/npx",
      "https://docs.astral.sh/uv/guides/tools/",
      "https://modelcontextprotocol.io/specification/2025-06-18/basic/security_best_practices",
    ],
    description:
      "An MCP client config that starts a server with `npx -y pkg`, `pkg@latest`, `uvx pkg` or a Docker image without a fixed tag runs whatever the registry serves at that moment, with the user's permissions: one compromised or hijacked release, and every machine that starts the client runs it.",
  },
  checkConfig(ctx) {
    for (const server of ctx.config.servers) {
      const pkg = launchedPackage(launchWords(server));
      if (!pkg || !fromRegistry(pkg.name)) continue;
      const version = pkg.version;
      const floating = version === undefined || /^(latest|next|main|master|stable|\*|x)$/i.test(version) || (pkg.ecosystem === "npm" && /^[\^~><=*]|\s-\s|\|\||\.x$/.test(version));
      if (!floating) continue;
      const what = pkg.launcher === "docker" ? `image \`${pkg.name}\`` : `package \`${pkg.name}\``;
      const why = version === undefined ? "without a version" : `at \`${version}\`, which moves`;
      ctx.report({
        offset: pkg.word.offset,
        length: pkg.word.length,
        message: `Server \`${server.name}\` is started from the ${what} ${why}: each start runs whatever the registry serves then, so a compromised release reaches this machine unreviewed.`,
        remediation: remediationFor(pkg.launcher, pkg.name),
      });
    }
  },
};

/** Local paths, URLs and variables are not fetched from a registry by name. */
function fromRegistry(name: string): boolean {
  return !/^(?:\.|\/|~|\$|[A-Za-z]:[\\/])|:\/\/|^(?:file|git\+\w+|github):|\.(?:[cm]?js|ts|py)$/.test(name);
}

function remediationFor(launcher: "npx" | "uvx" | "docker", name: string): string {
  if (launcher === "npx") return `Pin the exact version you reviewed, e.g. \`"${name}@1.2.3"\` (look it up with \`npm view ${name} version\`), and update it on purpose.`;
  if (launcher === "uvx") return `Pin the exact version you reviewed, e.g. \`"${name}==1.2.3"\` (or \`--from ${name}==1.2.3\`), and update it on purpose.`;
  return `Pin the image by digest, e.g. \`"${name}@sha256:<digest>"\` (\`docker buildx imagetools inspect ${name}\`), or at least by an exact version tag, never \`latest\`.`;
}
