import type { McpServerEntry, StringValue } from "./mcp-config.js";

/** One word of a server's launch command, where it is written. */
export type Word = StringValue;

/**
 * The words a client runs to start a server: `command` then `args`. A command written as one
 * string ("npx -y pkg") is split on spaces, each word keeping its place in the file.
 */
export function launchWords(server: McpServerEntry): Word[] {
  const words: Word[] = [];
  if (server.command) {
    const raw = server.command;
    if (server.args.length === 0 && /\s/.test(raw.value.trim())) words.push(...splitWords(raw));
    else words.push(raw);
  }
  words.push(...server.args);
  return words;
}

function splitWords(raw: StringValue): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(raw.value); m; m = re.exec(raw.value)) out.push({ value: m[0], offset: raw.offset + 1 + m.index, length: m[0].length });
  return out;
}

/** The program's base name, lowercased, without `.exe`/`.cmd` or its folder: `/usr/bin/npx` → `npx`. */
export function programName(word: string): string {
  return word.split(/[\\/]/).pop()!.toLowerCase().replace(/\.(exe|cmd|bat)$/, "");
}

/** A package a launcher fetches and runs, as written in the config. */
export interface LaunchedPackage {
  launcher: "npx" | "uvx" | "docker";
  ecosystem: "npm" | "pypi" | "docker";
  word: Word;
  name: string;
  /** The exact version or tag, when one is written. */
  version?: string;
  /** The words after the package: the server's own arguments. */
  rest: Word[];
  /** Launcher options before the package (docker run's flags, for example). */
  options: Word[];
}

const NPX_VALUE_OPTIONS = new Set(["-p", "--package", "-c", "--call", "--registry", "--cache", "--userconfig"]);
const UVX_VALUE_OPTIONS = new Set(["--with", "--python", "-p", "--index", "--index-url", "--extra-index-url", "--constraint", "-c", "--directory", "--env-file"]);
const DOCKER_VALUE_OPTIONS = new Set([
  "-e", "--env", "-v", "--volume", "--name", "-p", "--publish", "--network", "--net", "--mount", "-w", "--workdir", "-u", "--user",
  "--entrypoint", "--env-file", "--add-host", "-l", "--label", "--cpus", "-m", "--memory", "--platform", "--pull", "--pid",
  "--cap-add", "--cap-drop", "--security-opt", "--device", "-h", "--hostname", "--ipc", "--userns", "--tmpfs", "--ulimit",
]);

/** The package a server's launch command fetches: `npx pkg@1.2.3`, `uvx pkg==1.2.3`, `docker run image:tag`. */
export function launchedPackage(words: Word[]): LaunchedPackage | undefined {
  if (words.length === 0) return undefined;
  let program = programName(words[0]!.value);
  let i = 1;
  if ((program === "pnpm" || program === "yarn") && words[1]?.value === "dlx") {
    program = "npx";
    i = 2;
  } else if (program === "npm" && words[1]?.value === "exec") {
    program = "npx";
    i = 2;
  } else if (program === "bunx" || program === "pnpx") {
    program = "npx";
  } else if (program === "pipx" && words[1]?.value === "run") {
    program = "uvx";
    i = 2;
  } else if (program === "uv" && words[1]?.value === "tool" && words[2]?.value === "run") {
    program = "uvx";
    i = 3;
  } else if ((program === "docker" || program === "podman") && words[1]?.value === "run") {
    program = "docker";
    i = 2;
  }
  if (program !== "npx" && program !== "uvx" && program !== "docker") return undefined;
  const valueOptions = program === "npx" ? NPX_VALUE_OPTIONS : program === "uvx" ? UVX_VALUE_OPTIONS : DOCKER_VALUE_OPTIONS;
  const options: Word[] = [];
  let fromPackage: Word | undefined;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (w.value === "--") {
      i++;
      break;
    }
    if (!w.value.startsWith("-")) break;
    options.push(w);
    const name = w.value.split("=")[0]!;
    if (!w.value.includes("=") && valueOptions.has(name) && words[i + 1]) {
      const value = words[++i]!;
      options.push(value);
      if ((program === "npx" && (name === "-p" || name === "--package")) || (program === "uvx" && name === "--from")) fromPackage = value;
    } else if (program === "uvx" && name === "--from" && words[i + 1]) {
      fromPackage = words[++i]!;
      options.push(fromPackage);
    }
  }
  const word = fromPackage ?? words[i];
  if (!word) return undefined;
  const rest = words.slice(fromPackage ? i : i + 1);
  if (program === "npx") {
    const m = /^(@[^/@\s]+\/[^@\s]+|[^@\s]+)(?:@(.+))?$/.exec(word.value);
    if (!m) return undefined;
    return { launcher: "npx", ecosystem: "npm", word, name: m[1]!, version: m[2], rest, options };
  }
  if (program === "uvx") {
    const m = /^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?(?:(?:==|@)([^\s,;]+))?/.exec(word.value);
    if (!m) return undefined;
    return { launcher: "uvx", ecosystem: "pypi", word, name: m[1]!, version: m[2], rest, options };
  }
  const at = word.value.indexOf("@");
  const image = at >= 0 ? word.value.slice(0, at) : word.value;
  const slash = image.lastIndexOf("/");
  const colon = image.indexOf(":", slash + 1);
  const name = colon >= 0 ? image.slice(0, colon) : image;
  const version = at >= 0 ? word.value.slice(at + 1) : colon >= 0 ? image.slice(colon + 1) : undefined;
  return { launcher: "docker", ecosystem: "docker", word, name, version, rest, options };
}
