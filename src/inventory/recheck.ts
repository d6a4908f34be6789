import type { InventoryStore } from "../store/inventory-store.js";
import type { RecheckJob, ScanQueue } from "../queue/scan-queue.js";
import { engineVersion } from "./engine-version.js";

/**
 * The daily pass (and the pass after an engine or rule change): every known repository gets a
 * scan job. A repository last scanned by another engine version is rescanned whatever its head;
 * the others first ask GitHub for their head with the last answer's ETag (free when unchanged) and
 * end there when it has not moved.
 */
export async function recheckRepositories(job: RecheckJob, deps: { store: InventoryStore; scans: ScanQueue; log?: { info(obj: object, msg?: string): void } }): Promise<{ queued: number; stale: number }> {
  const version = engineVersion();
  const repositories = (await deps.store.repositoriesOf()).filter((r) => !r.archived);
  let stale = 0;
  const jobs = repositories.map((r) => {
    const outdated = r.lastEngineVersion !== null && r.lastEngineVersion !== version;
    if (outdated) stale++;
    return { installationId: r.installationId, repositoryId: r.id, trigger: outdated ? ("engine" as const) : ("daily" as const), ...(outdated ? { force: true } : {}) };
  });
  const queued = await deps.scans.enqueue(jobs);
  deps.log?.info({ trigger: job.trigger, repositories: repositories.length, queued, outdatedEngine: stale }, "repositories queued for a recheck");
  return { queued, stale };
}
