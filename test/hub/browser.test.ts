import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { openInventoryStore } from "../../src/store/inventory-store.js";
import { openDatabase } from "../../src/store/sql.js";
import { freshSqliteFile } from "../support/databases.js";
import { startFakeGitHubSignIn, type FakeGitHubSignIn } from "../support/fake-github-sign-in.js";
import { ALPHA, NOW, SHARED, seedHubStore, type FakeUser } from "../support/hub-fixture.js";
import { freePort, startHubServer, type HubServer } from "../support/hub-server.js";

/**
 * The hub in a real Chromium (Debian's `chromium`, driven by playwright-core; .ci/run installs
 * both): signing in against a fake GitHub Enterprise Server, the overview, a search for a tool,
 * the repository page. Screenshots go to a temporary folder, or to docs/ (the README's) with
 * MCP_REVIEW_SCREENSHOTS=docs.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CLIENT_ID = "Iv1.browser";
const CLIENT_SECRET = "browser-client-secret";
const alice: FakeUser = { id: 2001, login: "alice", token: "ghu_browserAliceToken0123456789abcd", repositories: [{ repository: SHARED, write: true }, { repository: ALPHA, write: true }] };

let browser: Browser;
let github: FakeGitHubSignIn;
let hub: HubServer;
let dropDb: () => void;
const shots = process.env.MCP_REVIEW_SCREENSHOTS === "docs" ? resolve("docs") : mkdtempSync(join(tmpdir(), "mcp-review-hub-shots-"));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (see .ci/run), or set CHROMIUM_PATH`);
  mkdirSync(shots, { recursive: true });
  const db = freshSqliteFile();
  dropDb = db.drop;
  const store = await openInventoryStore({ MCP_REVIEW_SQLITE: db.file });
  await seedHubStore(store);
  await store.close();
  github = await startFakeGitHubSignIn({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, user: alice });
  const port = await freePort();
  hub = await startHubServer({
    env: { GITHUB_CLIENT_ID: CLIENT_ID, GITHUB_CLIENT_SECRET: CLIENT_SECRET, APP_URL: `http://127.0.0.1:${port}`, GHE_HOST: github.host, GHE_PROTOCOL: "http" },
    database: () => openDatabase({ MCP_REVIEW_SQLITE: db.file }),
    now: () => NOW,
    port,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await github?.close();
  dropDb?.();
  if (process.env.MCP_REVIEW_SCREENSHOTS !== "docs") rmSync(shots, { recursive: true, force: true });
});

it("signs in through GitHub, shows the overview, finds a tool and opens its repository with the finding and the description", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });

  // Signing in: the hub sends the browser to the (fake) GitHub, which sends it back.
  await page.goto(`${hub.base}/hub`);
  expect(github.authorizations).toHaveLength(1);
  expect(github.authorizations[0]!.get("redirect_uri")).toBe(`${hub.base}/hub/callback`);
  expect(new URL(page.url()).pathname).toBe("/hub");
  await expect(page.locator("h1").textContent()).resolves.toBe("Overview");
  await expect(page.locator(".who strong").textContent()).resolves.toBe("alice");
  // The stylesheet loaded under the CSP (the bar is dark), and nothing was blocked.
  await expect(page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")).resolves.toBe("rgb(31, 35, 40)");
  await expect(page.locator("figure.trend svg polygon").count()).resolves.toBeGreaterThan(0);
  await expect(page.locator(".cards").first().textContent()).resolves.toMatch(/critical/);
  await page.screenshot({ path: join(shots, "hub-overview.png"), fullPage: true });
  // The keyboard's first stop is the skip link, and it moves focus to the content.
  await page.keyboard.press("Tab");
  await expect(page.evaluate("document.activeElement.textContent")).resolves.toBe("Skip to content");
  await page.keyboard.press("Enter");
  await expect(page.evaluate("document.activeElement.id")).resolves.toBe("main");

  // Searching for a tool by name, from the bar, with the keyboard.
  await page.getByLabel("Search repositories, servers, tools, packages and rules").fill("fetch_page");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/hub\?q=fetch_page$/);
  await expect(page.locator("h2#tools").textContent()).resolves.toMatch(/^Tools/);
  await page.locator("ul.hits li", { hasText: "fetch_page" }).getByRole("link", { name: "acme/shared-tools" }).click();
  await page.waitForURL(new RegExp(`/hub/repos/${SHARED.id}$`));

  // The repository page: the finding, with its remediation and its line at the scanned commit; the description, inert.
  await expect(page.locator("h1").textContent()).resolves.toBe("acme/shared-tools");
  const finding = page.locator("article.finding", { hasText: "Hidden instructions in a tool description" });
  await expect(finding.isVisible()).resolves.toBe(true);
  await expect(finding.locator("a", { hasText: "src/server.ts:5" }).getAttribute("href")).resolves.toBe(`http://${github.host}/acme/shared-tools/blob/${SHARED.scans[1]!.commit}/src/server.ts#L5`);
  await expect(finding.locator(".remediation").isVisible()).resolves.toBe(true);
  const description = page.locator("article.tool .untrusted").first();
  await expect(description.isVisible()).resolves.toBe(true);
  const shown = (await description.innerText()).replace(/\s+/g, " ");
  expect(shown).toContain('Fetches a page. <script>alert("pwned")</script><img src=x onerror=alert(2)> [click me](javascript:alert(3))');
  expect(shown).toContain("\\u200b<IMPORTANT>");
  expect(shown).toContain("\\u202e</IMPORTANT>\\u{e0041}");
  // Shown, never run: no element came from the description.
  await expect(description.locator("script, img, a").count()).resolves.toBe(0);
  await expect(page.evaluate("document.scripts.length")).resolves.toBe(0);
  await page.screenshot({ path: join(shots, "hub-repository.png"), fullPage: true });

  await page.goto(`${hub.base}/hub/repos`);
  await expect(page.locator("table tbody tr").count()).resolves.toBe(2);
  await page.screenshot({ path: join(shots, "hub-repositories.png"), fullPage: true });

  expect(problems).toEqual([]);
  for (const name of ["hub-overview.png", "hub-repository.png", "hub-repositories.png"]) {
    const png = readFileSync(join(shots, name));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(20_000);
  }
  await context.close();
}, 60_000);
