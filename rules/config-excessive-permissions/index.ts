import { launchedPackage, launchWords, type Word } from "../../src/engine/config/index.js";
import type { Rule, TextProblem } from "../../src/engine/rule.js";

const FILESYSTEM_SERVER = /(?:^|\/)(?:server-filesystem|mcp-server-filesystem|filesystem-mcp|mcp-filesystem)(?:@|$)/i;

/** A whole disk or a whole home folder, as people write them in configs. */
const TOO_WIDE = [
  /^\/$/,
  /^~\/?$/,
  /^\$HOME\/?$/,
  /^\$\{(?:env:)?HOME\}\/?$/,
  /^\$\{userHome\}\/?$/,
  /^\/(?:home|Users)(?:\/[^/]+)?\/?$/,
  /^\/root\/?$/,
  /^[A-Za-z]:[\\/]*$/,
  /^[A-Za-z]:[\\/]+Users[\\/]+[^\\/]+[\\/]*$/i,
  /^%USERPROFILE%[\\/]*$/i,
];

export const configExcessivePermissions: Rule = {
  meta: {
    id: "config-excessive-permissions",
    title: "MCP server given the whole disk, home folder or host",
    severity: "high",
    cwe: "CWE-250",
    confidence: "high",
    languages: ["mcp-config"],
    references: [
      "https://cwe.mitre.org/data/definitions/250.html",
      "https://github.com/modelcontextprotocol/servers/tree/main/src/filesystem",
      "https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities",
      "https://docs.docker.com/engine/network/drivers/host/",
    ],
    description:
      "A filesystem server rooted at `/`, `~` or a whole home folder, or a containerized server run with `--privileged`, the host's root or Docker socket mounted, or the host's network, gives every prompt injection that reaches the model the same reach: SSH keys, cloud credentials, other projects, the machine itself.",
  },
  checkConfig(ctx) {
    for (const server of ctx.config.servers) {
      const words = launchWords(server);
      const pkg = launchedPackage(words);
      const report = (word: Word, message: string, remediation: string) => ctx.report({ offset: word.offset, length: word.length, message, remediation } satisfies TextProblem);
      const isFilesystem = words.some((w) => FILESYSTEM_SERVER.test(w.value));
      if (isFilesystem) {
        const dirs = pkg && pkg.launcher !== "docker" ? pkg.rest : words.filter((w) => !w.value.startsWith("-"));
        for (const dir of dirs) {
          if (!TOO_WIDE.some((re) => re.test(dir.value.trim()))) continue;
          report(
            dir,
            `Filesystem server \`${server.name}\` may read and write everything under \`${dir.value}\`: SSH keys, cloud credentials, shell profiles and every other project are one prompt injection away.`,
            `List only the folders the server needs, e.g. the project: \`"\${workspaceFolder}"\` in VS Code or an absolute path such as \`"/home/me/projects/app"\`.`,
          );
        }
      }
      if (pkg?.launcher !== "docker") continue;
      const options = pkg.options;
      for (let i = 0; i < options.length; i++) {
        const w = options[i]!;
        const [flag, inline] = splitOption(w.value);
        const value = inline ?? options[i + 1]?.value ?? "";
        const valueWord = inline !== undefined ? w : options[i + 1] ?? w;
        if (flag === "--privileged") {
          report(w, `Server \`${server.name}\` runs in a privileged container: it can load kernel modules and reach every device, which is the same as root on the host.`, "Remove `--privileged`; if the server needs one capability, add just that one with `--cap-add`.");
        } else if ((flag === "-v" || flag === "--volume") && hostRootMount(value.split(":")[0]!)) {
          report(valueWord, `Server \`${server.name}\` mounts \`${value.split(":")[0]}\` from the host: ${mountWhy(value.split(":")[0]!)}`, "Mount only the folder the server needs, read-only where possible: `-v \"$PWD/data:/data:ro\"`.");
        } else if (flag === "--mount") {
          const source = /(?:^|,)(?:source|src)=([^,]+)/.exec(value)?.[1];
          if (source && hostRootMount(source)) report(valueWord, `Server \`${server.name}\` mounts \`${source}\` from the host: ${mountWhy(source)}`, "Mount only the folder the server needs, read-only where possible: `--mount type=bind,src=$PWD/data,dst=/data,readonly`.");
        } else if ((flag === "--network" || flag === "--net") && value === "host") {
          report(valueWord, `Server \`${server.name}\` shares the host's network: it reaches every service listening on localhost, and its own ports are open on every interface.`, "Remove `--network host`; publish the one port the client needs on loopback: `-p 127.0.0.1:8080:8080`.");
        } else if ((flag === "--pid" || flag === "--ipc" || flag === "--userns") && value === "host") {
          report(valueWord, `Server \`${server.name}\` shares the host's ${flag.slice(2)} namespace: it can see and signal the host's processes.`, `Remove \`${flag}=host\`.`);
        } else if (flag === "--cap-add" && /^(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE)$/i.test(value)) {
          report(valueWord, `Server \`${server.name}\` gets the \`${value}\` capability, which lets a container escape to the host.`, `Remove \`--cap-add ${value}\`.`);
        }
      }
    }
  },
};

function splitOption(word: string): [string, string | undefined] {
  const eq = word.indexOf("=");
  return eq > 0 && word.startsWith("--") ? [word.slice(0, eq), word.slice(eq + 1)] : [word, undefined];
}

function hostRootMount(source: string): boolean {
  return TOO_WIDE.some((re) => re.test(source)) || /^\/(?:etc|var\/run\/docker\.sock|run\/docker\.sock)\/?$/.test(source);
}

function mountWhy(source: string): string {
  if (/docker\.sock$/.test(source)) return "whoever controls the Docker socket controls the host as root.";
  if (source === "/etc" || source === "/etc/") return "the host's system configuration, including users and credentials, becomes readable and writable.";
  return "the container can read and write the host's files well beyond what the server needs.";
}
