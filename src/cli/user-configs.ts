import { readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { SkippedFile, SourceInput } from "../engine/types.js";

/** A place an MCP client keeps the current user's server list. */
export interface UserConfigLocation {
  client: string;
  /** Absolute path on this machine. */
  file: string;
}

/** Where the user's folders are; injected so tests use a fake home. */
export interface UserDirs {
  home: string;
  /** Windows' roaming application data (%APPDATA%). */
  appData?: string;
  /** Linux's $XDG_CONFIG_HOME. */
  xdgConfigHome?: string;
}

/**
 * The places MCP clients keep the user's own configs on Linux, macOS and Windows. All are
 * listed whatever the platform: a place that does not exist is simply not read.
 */
export function userConfigLocations(dirs: UserDirs): UserConfigLocation[] {
  const { home } = dirs;
  const appData = dirs.appData ?? join(home, "AppData", "Roaming");
  const xdg = dirs.xdgConfigHome ?? join(home, ".config");
  const appSupport = join(home, "Library", "Application Support");
  const out: UserConfigLocation[] = [
    { client: "Claude Code", file: join(home, ".claude.json") },
    { client: "Cursor", file: join(home, ".cursor", "mcp.json") },
    { client: "Gemini CLI", file: join(home, ".gemini", "settings.json") },
    { client: "Windsurf", file: join(home, ".codeium", "windsurf", "mcp_config.json") },
  ];
  for (const base of [appSupport, appData, xdg]) out.push({ client: "Claude Desktop", file: join(base, "Claude", "claude_desktop_config.json") });
  for (const base of [appSupport, appData, xdg]) {
    for (const edition of ["Code", "Code - Insiders", "Cursor", "Windsurf"]) {
      const user = join(base, edition, "User");
      if (edition.startsWith("Code")) {
        const client = `VS Code${edition === "Code" ? "" : " Insiders"}`;
        out.push({ client, file: join(user, "mcp.json") }, { client, file: join(user, "settings.json") });
      }
      out.push({ client: `Cline (in ${edition})`, file: join(user, "globalStorage", "saoudrizwan.claude-dev", "settings", "cline_mcp_settings.json") });
    }
  }
  out.push({ client: "Zed", file: join(xdg, "zed", "settings.json") }, { client: "Zed", file: join(appSupport, "Zed", "settings.json") });
  const seen = new Set<string>();
  return out.filter((l) => !seen.has(l.file) && seen.add(l.file));
}

export interface UserConfigs {
  files: SourceInput[];
  skipped: SkippedFile[];
  /** What was read, by client, with the path shown in findings. */
  read: { client: string; path: string }[];
}

/**
 * Read the user's client configs. Paths in findings are `~/...` under the home folder, absolute
 * elsewhere. Symbolic links are read (clients follow them too); folders and missing files are not.
 */
export function readUserConfigs(dirs: UserDirs, maxFileBytes: number): UserConfigs {
  const files: SourceInput[] = [];
  const skipped: SkippedFile[] = [];
  const read: { client: string; path: string }[] = [];
  for (const { client, file } of userConfigLocations(dirs)) {
    let size: number;
    try {
      const stat = statSync(file);
      if (!stat.isFile()) continue;
      size = stat.size;
    } catch {
      continue;
    }
    const path = displayPath(dirs.home, file);
    if (size > maxFileBytes) {
      skipped.push({ path, reason: "too-large", detail: `${Math.ceil(size / 1024)} KB is over the ${Math.round(maxFileBytes / 1024)} KB limit` });
      continue;
    }
    try {
      files.push({ path, content: readFileSync(file, "utf8") });
      read.push({ client, path });
    } catch (error) {
      skipped.push({ path, reason: "fetch-failed", detail: (error as NodeJS.ErrnoException).code ?? String(error) });
    }
  }
  return { files, skipped, read };
}

function displayPath(home: string, file: string): string {
  const rel = relative(home, file);
  if (!rel.startsWith("..") && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel)) return `~/${rel.split(sep).join("/")}`;
  return file.split(sep).join("/");
}
