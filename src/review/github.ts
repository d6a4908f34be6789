import type { ProbotOctokit } from "probot";

/** An installation-authenticated GitHub client. */
export type GitHub = InstanceType<typeof ProbotOctokit>;

/** Gives a client for one installation; injected so tests and processes choose how. */
export type GitHubFactory = (installationId: number) => Promise<GitHub>;
