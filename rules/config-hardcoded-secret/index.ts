import { looksLikeSecret, SECRET_KEY_PATTERN, type KeyedValue } from "../../src/engine/config/index.js";
import type { Rule } from "../../src/engine/rule.js";

export const configHardcodedSecret: Rule = {
  meta: {
    id: "config-hardcoded-secret",
    title: "Secret written into an MCP client config",
    severity: "high",
    cwe: "CWE-798",
    confidence: "medium",
    languages: ["mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/798.html",
      "https://code.visualstudio.com/docs/copilot/customization/mcp-servers#_input-variables-for-sensitive-data",
      "https://docs.github.com/en/code-security/secret-scanning/introduction/about-secret-scanning",
    ],
    description:
      "A token, API key or password written literally in an MCP client config (`env`, `args`, `headers`, a URL or a connection string) is readable by everyone who can read the repository or the machine, and by every other MCP server and tool that can read files.",
  },
  checkConfig(ctx) {
    for (const server of ctx.config.servers) {
      const seen = new Set<number>();
      const check = (value: KeyedValue, where: string) => {
        if (seen.has(value.offset)) return;
        const secret = looksLikeSecret(value.value, value.key);
        if (!secret) return;
        seen.add(value.offset);
        const envName = SECRET_KEY_PATTERN.test(value.key) && /^[A-Z0-9_]+$/.test(value.key) ? value.key : `${server.name.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_TOKEN`;
        ctx.report({
          offset: value.offset,
          length: value.length,
          message: `${/^[AEIOU]/i.test(secret.kind) ? "An" : "A"} ${secret.kind} is written literally in ${where} of server \`${server.name}\`: anyone who can read this file (or any tool that can read files on this machine) can use it.`,
          remediation: `Remove the value and rotate it: it is exposed already. Let the client supply it instead: in VS Code declare an input and write \`"\${input:${envName.toLowerCase()}}"\`; in other clients reference an environment variable (\`"\${env:${envName}}"\`) or use the client's secret storage.`,
        });
      };
      for (const env of server.env) check(env, `\`env.${env.key}\``);
      for (const header of server.headers) check(header, `header \`${header.key}\``);
      server.args.forEach((arg, i) => check({ ...arg, key: secretFlag(server.args[i - 1]?.value) ?? keyOfFlag(arg.value) }, "the arguments"));
      if (server.url) check({ ...server.url, key: "url" }, "the URL");
      for (const value of server.strings) check(value, `\`${value.key}\``);
    }
  },
};

/** `--api-key` before a value makes the value a credential. */
function secretFlag(previous: string | undefined): string | undefined {
  return previous && /^--?[\w-]+$/.test(previous) && SECRET_KEY_PATTERN.test(previous) ? previous : undefined;
}

/** `--token=abc` carries its own key. */
function keyOfFlag(arg: string): string {
  const m = /^--?([\w-]+)=/.exec(arg);
  return m ? m[1]! : "";
}
