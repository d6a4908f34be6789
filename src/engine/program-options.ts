/**
 * What the engine knows of the command-line programs MCP servers run, in one table shared by the
 * rules that judge an argument vector (argument-injection, TypeScript and Python) and by the
 * remediations that rewrite a command into one (command-injection): which options take the next
 * word as their value, which of those values are themselves a way to run commands, and how option
 * parsing ends.
 */
export interface ProgramOptions {
  /** Options whose value is the next word: that word is a value, never an option (`git -C <dir>`). */
  takesValue: ReadonlySet<string>;
  /**
   * Options whose value is itself dangerous: the word after them is a finding of its own
   * (`git -c core.sshCommand=<cmd>`), with this to say why.
   */
  dangerousValues?: Readonly<Record<string, string>>;
  /** What ends option parsing before operands; `null` when the program has nothing that does. */
  endMarker: string | null;
  /** Options known to run a command or write a file, as a message names them. */
  dangerous?: string;
}

const DOUBLE_DASH = "--";

export const PROGRAM_OPTIONS: Readonly<Record<string, ProgramOptions>> = {
  git: {
    takesValue: new Set(["-C", "--git-dir", "--work-tree", "--namespace", "-b", "-B", "--orphan", "-m", "--message", "-F", "--file", "--author", "--date", "-n", "--max-count", "--skip", "--since", "--until", "--grep", "--depth", "--branch", "--origin", "--format", "--pretty", "-U", "--unified"]),
    dangerousValues: {
      "-c": "`-c` sets configuration for this run: `core.sshCommand`, `core.pager`, `core.fsmonitor` or an `alias.*` run commands",
      "--config-env": "`--config-env` sets configuration from the environment, which runs commands through `core.sshCommand`",
      "--exec-path": "`--exec-path` chooses where git finds the programs it runs",
      "--upload-pack": "`--upload-pack` names the program git runs on the remote side, locally for a local path",
      "-u": "`-u` (`--upload-pack`) names the program git runs",
    },
    // `--` would make a revision a path; `--end-of-options` (git 2.24) ends options before revisions.
    endMarker: "--end-of-options",
    dangerous: "`--upload-pack=<cmd>`, `-c core.sshCommand=<cmd>` or `--output=<file>`",
  },
  rg: { takesValue: new Set(["-e", "--regexp", "-g", "--glob", "-t", "--type", "-m", "--max-count", "-A", "-B", "-C"]), dangerousValues: { "--pre": "`--pre` runs a program on every file searched" }, endMarker: DOUBLE_DASH, dangerous: "`--pre=<cmd>`" },
  grep: { takesValue: new Set(["-e", "--regexp", "-m", "--max-count", "-A", "-B", "-C", "--include", "--exclude"]), endMarker: DOUBLE_DASH },
  find: { takesValue: new Set(["-name", "-iname", "-type", "-maxdepth", "-mindepth", "-path", "-size", "-newer", "-user", "-group", "-perm"]), endMarker: null, dangerous: "`-exec <cmd> ;`" },
  tar: { takesValue: new Set(["-f", "--file", "-C", "--directory"]), endMarker: DOUBLE_DASH, dangerous: "`--checkpoint-action=exec=<cmd>`" },
  zip: { takesValue: new Set(["-P", "--password"]), endMarker: DOUBLE_DASH, dangerous: "`-TT <cmd>`" },
  ssh: { takesValue: new Set(["-p", "-i", "-l", "-F", "-J"]), dangerousValues: { "-o": "`-o` sets options such as `ProxyCommand=<cmd>`, which ssh runs" }, endMarker: DOUBLE_DASH, dangerous: "`-oProxyCommand=<cmd>`" },
  curl: { takesValue: new Set(["-H", "--header", "-X", "--request", "-d", "--data", "-A", "--user-agent", "-m", "--max-time"]), endMarker: DOUBLE_DASH, dangerous: "`-o <file>` or `-K <config>`" },
  npm: { takesValue: new Set(["--prefix", "-w", "--workspace", "--tag", "--registry"]), endMarker: DOUBLE_DASH, dangerous: "`--script-shell=<cmd>`" },
  docker: {
    takesValue: new Set(["--name", "-w", "--workdir", "--label", "-l", "--network", "--memory", "-m", "--cpus", "--user", "-u", "--hostname", "-h", "--platform", "--entrypoint", "-e", "--env"]),
    dangerousValues: { "-v": "`-v` mounts a host path into the container (`/:/host`)", "--volume": "`--volume` mounts a host path into the container" },
    endMarker: null,
    dangerous: "`--privileged` or `-v /:/host`",
  },
  kubectl: { takesValue: new Set(["-n", "--namespace", "-c", "--container", "--context", "-l", "--selector", "-o", "--output", "-f", "--filename"]), endMarker: DOUBLE_DASH, dangerous: "`--kubeconfig=<file>`" },
  osascript: { takesValue: new Set(["-e", "-l"]), endMarker: null },
  // Arguments after the script are the script's own: a marker would be passed on as an argument.
  node: { takesValue: new Set(), endMarker: null },
  python: { takesValue: new Set(), endMarker: null },
  python3: { takesValue: new Set(), endMarker: null },
  echo: { takesValue: new Set(), endMarker: null },
  printf: { takesValue: new Set(), endMarker: null },
};

/** A program's entry by its name or path (`/usr/bin/git`), or undefined for programs the table does not know. */
export function programOptions(program: string): ProgramOptions | undefined {
  return PROGRAM_OPTIONS[program.split(/[\\/]/).pop()!.replace(/\.exe$/i, "")];
}

/** How a program ends option parsing: its table entry's marker, or `--` for programs the table does not know (most GNU tools honour it). */
export function endMarkerOf(program: string): string | null {
  const known = programOptions(program);
  return known ? known.endMarker : DOUBLE_DASH;
}

/** What each argument word is, read left to right: an option, an option's value, or an operand. */
export type WordRole = "option" | "value" | "operand" | "end";

/**
 * The role of each word of an argument vector, given the literal text of those that are literal
 * (undefined for the others): an option (`-x`, `--long`, `--long=value`), the value that follows an
 * option taking one (`-C <dir>`), an operand, or the end-of-options marker (everything after it is
 * an operand).
 */
export function wordRoles(program: string, literals: readonly (string | undefined)[]): WordRole[] {
  const known = programOptions(program);
  const marker = endMarkerOf(program);
  const roles: WordRole[] = [];
  let ended = false;
  for (let i = 0; i < literals.length; i++) {
    const text = literals[i];
    if (ended) roles.push("operand");
    else if (text !== undefined && (text === "--" || text === marker)) {
      roles.push("end");
      ended = true;
    } else if (i > 0 && roles[i - 1] === "option" && takesNext(known, literals[i - 1]!)) roles.push("value");
    else roles.push(text !== undefined && text.startsWith("-") && text !== "-" ? "option" : "operand");
  }
  return roles;
}

function takesNext(known: ProgramOptions | undefined, option: string): boolean {
  if (option.includes("=")) return false;
  return !!known && (known.takesValue.has(option) || option in (known.dangerousValues ?? {}));
}

/** Options known to run a command or write a file when a value reaches them, by program (from `PROGRAM_OPTIONS`). */
export const DANGEROUS_OPTIONS: Record<string, string> = Object.fromEntries(
  Object.entries(PROGRAM_OPTIONS).flatMap(([program, o]) => (o.dangerous ? [[program, o.dangerous]] : [])),
);
