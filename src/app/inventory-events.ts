import type { Probot } from "probot";
import type { ScanJob } from "../inventory/scan-repository.js";
import type { ScanQueue } from "../queue/scan-queue.js";
import type { InventoryStore, RepositoryInput, ScanTrigger } from "../store/inventory-store.js";

/** What the organization inventory's webhooks need: where repositories are kept, and where scans go. */
export interface InventoryDeps {
  store: InventoryStore;
  scans: ScanQueue;
}

interface RepoPayload {
  id: number;
  full_name: string;
  private: boolean;
  default_branch?: string;
  archived?: boolean;
}

function record(repo: RepoPayload): RepositoryInput {
  return { id: repo.id, fullName: repo.full_name, private: repo.private, ...(repo.default_branch ? { defaultBranch: repo.default_branch } : {}), ...(repo.archived !== undefined ? { archived: repo.archived } : {}) };
}

function scansOf(installationId: number, repositories: readonly { id: number; archived?: boolean }[], trigger: ScanTrigger): ScanJob[] {
  return repositories.filter((r) => !r.archived).map((r) => ({ installationId, repositoryId: r.id, trigger }));
}

/**
 * The webhooks that keep the organization inventory: installations and their repositories come and
 * go, a push to a default branch asks for a rescan, renames and default-branch changes are
 * followed. Each handler records what the payload says and queues scans; none reads code.
 */
export function inventoryEvents(app: Probot, deps: InventoryDeps): void {
  const { store, scans } = deps;

  app.on("installation.created", async (context) => {
    const { installation, repositories = [] } = context.payload;
    const account = installation.account as { login?: string; slug?: string; type?: string } | null;
    await store.upsertInstallation({ id: installation.id, accountLogin: account?.login ?? account?.slug ?? String(installation.id), accountType: account?.type });
    await store.upsertRepositories(installation.id, repositories.map((r) => record({ ...r, private: r.private })));
    const queued = await scans.enqueue(scansOf(installation.id, repositories, "installation"));
    context.log.info({ installation: installation.id, repositories: repositories.length, queued }, "installed: repository scans queued");
  });

  app.on("installation.deleted", async (context) => {
    const removed = await store.deleteInstallation(context.payload.installation.id);
    context.log.info({ installation: context.payload.installation.id, repositories: removed.length }, "uninstalled: its repositories' inventory is removed");
  });

  app.on("installation.suspend", async (context) => {
    await store.setInstallationSuspended(context.payload.installation.id, true);
  });

  app.on("installation.unsuspend", async (context) => {
    const { installation } = context.payload;
    await store.setInstallationSuspended(installation.id, false);
    // Repositories may have come and gone while suspended: ask GitHub which the installation has now.
    const listed = (await context.octokit.paginate(context.octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 })) as unknown as RepoPayload[];
    const account = installation.account as { login?: string; slug?: string; type?: string } | null;
    await store.upsertInstallation({ id: installation.id, accountLogin: account?.login ?? account?.slug ?? String(installation.id), accountType: account?.type });
    const known = new Set(listed.map((r) => r.id));
    const gone = (await store.repositoriesOf(installation.id)).filter((r) => !known.has(r.id)).map((r) => r.id);
    await store.removeRepositories(gone);
    await store.upsertRepositories(installation.id, listed.map(record));
    const queued = await scans.enqueue(scansOf(installation.id, listed, "unsuspended"));
    context.log.info({ installation: installation.id, repositories: listed.length, removed: gone.length, queued }, "unsuspended: repository scans queued");
  });

  app.on("installation_repositories.added", async (context) => {
    const { installation, repositories_added: added } = context.payload;
    const account = installation.account as { login?: string; slug?: string; type?: string } | null;
    await store.upsertInstallation({ id: installation.id, accountLogin: account?.login ?? account?.slug ?? String(installation.id), accountType: account?.type });
    await store.upsertRepositories(installation.id, added.map((r) => record(r as RepoPayload)));
    await scans.enqueue(scansOf(installation.id, added, "added"));
  });

  app.on("installation_repositories.removed", async (context) => {
    await store.removeRepositories(context.payload.repositories_removed.map((r) => r.id));
  });

  app.on("push", async (context) => {
    const { repository, ref, deleted, installation } = context.payload;
    if (!installation || deleted || ref !== `refs/heads/${repository.default_branch}`) return;
    const owner = repository.owner as { login?: string; name?: string; type?: string };
    // An installation from before the inventory existed is recorded at its first push.
    if (!(await store.getRepository(repository.id))) await store.upsertInstallation({ id: installation.id, accountLogin: owner.login ?? owner.name ?? String(installation.id), accountType: owner.type });
    await store.upsertRepositories(installation.id, [record(repository as RepoPayload)]);
    if (repository.archived) return;
    await scans.enqueue([{ installationId: installation.id, repositoryId: repository.id, trigger: "push" }]);
  });

  app.on("repository.deleted", async (context) => {
    await store.removeRepositories([context.payload.repository.id]);
  });

  app.on("repository.archived", async (context) => {
    await store.updateRepository(context.payload.repository.id, { archived: true });
  });

  app.on("repository.unarchived", async (context) => {
    const { repository, installation } = context.payload;
    await store.updateRepository(repository.id, { archived: false });
    if (installation && (await store.getRepository(repository.id))) await scans.enqueue([{ installationId: installation.id, repositoryId: repository.id, trigger: "unarchived" }]);
  });

  app.on("repository.renamed", async (context) => {
    await store.updateRepository(context.payload.repository.id, { fullName: context.payload.repository.full_name });
  });

  app.on(["repository.privatized", "repository.publicized"], async (context) => {
    await store.updateRepository(context.payload.repository.id, { private: context.payload.repository.private });
  });

  app.on("repository.edited", async (context) => {
    const { repository, changes, installation } = context.payload;
    if (!(changes as { default_branch?: unknown }).default_branch) return;
    if (!(await store.getRepository(repository.id))) return;
    await store.updateRepository(repository.id, { defaultBranch: repository.default_branch });
    if (installation) await scans.enqueue([{ installationId: installation.id, repositoryId: repository.id, trigger: "default-branch", force: true }]);
  });
}
