import { SEVERITIES } from "../../src/engine/types.js";
import { HubQueries } from "../../src/hub/hub-queries.js";
import { SqlSessionStore } from "../../src/hub/session-store.js";
import type { Session } from "../../src/hub/sessions.js";
import { openInventoryStore } from "../../src/store/inventory-store.js";
import { migrate } from "../../src/store/migrations.js";
import { openDatabase, type SqlDb } from "../../src/store/sql.js";
import { BACKENDS } from "../support/databases.js";
import { ALPHA, BRAVO, expectedOpen, NOW, SHARED, seedHubStore } from "../support/hub-fixture.js";

/** The hub's reads on both databases: the same answers, limited to the readable repositories. */
describe.each(BACKENDS)("the hub's queries on $name", (backend) => {
  let db: SqlDb;
  let drop: () => Promise<void>;
  let q: HubQueries;
  const alice = { repositoryIds: [SHARED.id, ALPHA.id] };
  const today = new Date(NOW);

  beforeAll(async () => {
    const made = await backend.env();
    drop = made.drop;
    const store = await openInventoryStore(made.env);
    await seedHubStore(store);
    await store.close();
    db = await openDatabase(made.env);
    await migrate(db);
    q = new HubQueries(db);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("counts, trends and posture only over the readable repositories", async () => {
    const totals = await q.totals(alice);
    expect(totals).toMatchObject({ repositories: 2, scanned: 2, withServers: 2, withConfigs: 1 });
    expect(totals.open).toEqual(expectedOpen([SHARED, ALPHA]));
    expect((await q.totals({ repositoryIds: [] })).repositories).toBe(0);

    const trend = await q.trend(alice, today);
    expect(trend).toHaveLength(90);
    const sum = (p: (typeof trend)[number]) => SEVERITIES.reduce((n, s) => n + p.counts[s], 0);
    expect(sum(trend[trend.length - 1]!)).toBe(SEVERITIES.reduce((n, s) => n + totals.open[s], 0));
    // Before the first scan nothing; between shared-tools' scans, only its first scan's findings carried forward.
    expect(sum(trend.find((p) => p.day === "2026-10-19")!)).toBe(0);
    expect(trend.find((p) => p.day === "2026-11-05")!.counts).toEqual(expectedOpen([{ ...SHARED, scans: [SHARED.scans[0]!] }]));

    // Counts from before a shorter window carry into its first day.
    const short = await q.trend(alice, today, 20);
    expect(short[0]!.day).toBe("2026-11-11");
    expect(short[0]!.counts).toEqual(expectedOpen([{ ...SHARED, scans: [SHARED.scans[0]!] }, ALPHA]));
    expect(short[short.length - 1]!.counts).toEqual(totals.open);

    const posture = await q.posture(alice, today);
    expect(posture).toMatchObject({ configuredServers: 1, judgedConfiguredServers: 1, pinnedConfiguredServers: 0, httpServers: 1, exposedServers: 1, exposedWithoutAuth: 1, commandServers: 1, toolChanges30d: 1 });
    expect(posture.openCritical).toBe(totals.open.critical);
  });

  it("filters, sorts and pages the table, and finds only what is readable", async () => {
    const byName = await q.table(alice, { sort: "name", direction: "asc", page: 1 });
    expect(byName.rows.map((r) => r.fullName)).toEqual(["acme/alpha-secret", "acme/shared-tools"]);
    expect(byName.total).toBe(2);
    expect((await q.table(alice, { sort: "name", direction: "desc", page: 1 })).rows.map((r) => r.fullName)).toEqual(["acme/shared-tools", "acme/alpha-secret"]);
    expect((await q.table(alice, { severity: "critical", sort: "severity", direction: "desc", page: 1 })).rows.map((r) => r.fullName)).toEqual(["acme/alpha-secret"]);
    expect((await q.table(alice, { language: "typescript", hasConfigs: false, sort: "severity", direction: "desc", page: 1 })).rows.map((r) => r.fullName)).toEqual(["acme/shared-tools"]);
    expect((await q.table(alice, { rule: "ssrf", sort: "severity", direction: "desc", page: 1 })).rows.map((r) => r.fullName)).toEqual(["acme/shared-tools"]);
    expect(await q.filterChoices(alice)).toEqual({ rules: expect.arrayContaining(["command-injection", "ssrf", "tool-poisoning"]), languages: ["typescript"] });

    const hits = await q.search(alice, "SECRET");
    expect(hits.repositories.map((r) => r.fullName)).toEqual(["acme/alpha-secret"]);
    expect(hits.tools.map((t) => t.name)).toEqual(["alpha_secret_tool"]);
    expect(hits.servers.map((s) => [s.name, s.source])).toEqual([["alpha-secret-server", "code"]]);
    expect(hits.packages.map((p) => [p.name, p.source])).toEqual([["alpha-secret-pkg", "config"]]);
    // LIKE's own characters are literal.
    expect((await q.search(alice, "_secret_")).tools.map((t) => t.name)).toEqual(["alpha_secret_tool"]);
    expect((await q.search(alice, "%")).tools).toEqual([]);
    const bravo = await q.search(alice, "bravo");
    expect([bravo.repositories, bravo.servers, bravo.tools, bravo.packages, bravo.rules].flat()).toEqual([]);
    expect((await q.search(alice, "command-injection")).rules).toEqual([{ ruleId: "command-injection", findings: 1, repositories: 1 }]);
  });

  it("answers who uses a package, a server or a tool, and a repository by id or name, only when readable", async () => {
    expect((await q.whoUses(alice, "package", "@MODELCONTEXTPROTOCOL/sdk")).map((r) => [r.fullName, r.source])).toEqual([["acme/alpha-secret", "manifest"]]);
    expect((await q.whoUses({ repositoryIds: [SHARED.id, ALPHA.id, BRAVO.id] }, "package", "@modelcontextprotocol/sdk")).map((r) => r.fullName)).toEqual(["acme/alpha-secret", "acme/bravo-secret"]);
    expect(await q.whoUses(alice, "tool", "bravo_secret_tool")).toEqual([]);
    expect((await q.whoUses(alice, "server", "alpha-config")).map((r) => r.source)).toEqual(["client config"]);
    expect((await q.whoUses(alice, "tool", "fetch_page")).map((r) => [r.fullName, r.commit])).toEqual([["acme/shared-tools", SHARED.scans[1]!.commit]]);

    expect((await q.repository(alice, { fullName: "ACME/Alpha-Secret" }))?.id).toBe(ALPHA.id);
    expect(await q.repository(alice, { id: BRAVO.id })).toBeUndefined();
    expect(await q.repository(alice, { fullName: "acme/bravo-secret" })).toBeUndefined();
    expect(await q.repositoryDetail(alice, { id: BRAVO.id })).toBeUndefined();
    expect(await q.openFindings(alice, BRAVO.id)).toEqual([]);
    const detail = (await q.repositoryDetail(alice, { id: SHARED.id }))!;
    expect(detail.history.map((h) => [h.name, h.change, h.oldDescription])).toEqual([["fetch_page", "changed", "Fetches a page."]]);
    expect(detail.tools[0]!.inputSchema).toContain('"url"');
    expect((await q.recentToolChanges({ repositoryIds: [ALPHA.id] }))).toEqual([]);
  });

  it("keeps sessions sealed, keyed by a hash, taken once, and ended together", async () => {
    const sessions = new SqlSessionStore(async () => db, "client-secret");
    const session: Session = { id: "session-id-aaaaaaaaaaaaaaaaaaaa", userId: 9, login: "alice", token: { accessToken: "ghu_sealedTokenSealedToken012345" }, access: { repositoryIds: [1], writable: [], checkedAt: 1 }, csrf: "csrf-token", createdAt: 1, lastSeenAt: 2 };
    await sessions.putSession(session);
    await sessions.putSession({ ...session, id: "session-id-bbbbbbbbbbbbbbbbbbbb" });
    expect(await sessions.getSession(session.id)).toEqual(session);
    const rows = await db.all<Record<string, unknown>>("SELECT * FROM hub_sessions");
    expect(JSON.stringify(rows)).not.toMatch(/session-id-|ghu_|csrf-token/);
    // Under another client secret the rows open to nothing.
    expect(await new SqlSessionStore(async () => db, "rotated").getSession(session.id)).toBeUndefined();
    await sessions.putPendingSignIn({ state: "state-1", verifier: "v", returnTo: "/hub", createdAt: 5 });
    expect(await sessions.takePendingSignIn("state-1")).toEqual({ state: "state-1", verifier: "v", returnTo: "/hub", createdAt: 5 });
    expect(await sessions.takePendingSignIn("state-1")).toBeUndefined();
    expect(await sessions.deleteSessionsOf(9)).toBe(2);
    expect(await sessions.getSession(session.id)).toBeUndefined();
  });
});
