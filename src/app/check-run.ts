import type { GitHub } from "../review/github.js";

/** The check run's name: branch protection rules refer to it, so it never changes. */
export const CHECK_NAME = "MCP security review";

/** The pull request number is kept in the check run, so Re-run works for forks too. */
export function externalIdFor(pullNumber: number): string {
  return `pull:${pullNumber}`;
}

export function pullNumberFromExternalId(externalId: string | null | undefined): number | undefined {
  const match = /^pull:(\d+)$/.exec(externalId ?? "");
  return match ? Number(match[1]) : undefined;
}

export async function createQueuedCheckRun(github: GitHub, owner: string, repo: string, headSha: string, pullNumber: number): Promise<number> {
  const { data } = await github.rest.checks.create({
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: headSha,
    status: "queued",
    external_id: externalIdFor(pullNumber),
    output: { title: "Queued", summary: "The review of this commit is queued." },
  });
  return data.id;
}
