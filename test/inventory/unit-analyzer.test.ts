import { inventoryFacts } from "../../src/engine/inventory.js";
import { mcpServerSource } from "../support/mcp-corpus.js";

// The thread runs the built engine: import it from dist/ (npm test builds it first).
const { createUnitAnalyzerThread } = (await import("../../dist/src/inventory/unit-analyzer.js" as string)) as typeof import("../../src/inventory/unit-analyzer.js");

describe("the organization scans' analysis thread", () => {
  it("gives the engine's file facts for the checked files only, and stops when idle", async () => {
    const thread = createUnitAnalyzerThread({ idleMs: 200 });
    try {
      const files = [0, 1].map((i) => ({ path: `src/server-${i}.ts`, content: mcpServerSource(i, 60) }));
      const batch = { files, only: ["src/server-0.ts"], options: {} };
      const facts = await thread.analyze(batch);
      expect(facts).toEqual(inventoryFacts(files, { only: ["src/server-0.ts"] }));
      expect(facts.map((f) => f.path)).toEqual(["src/server-0.ts"]);
      expect(facts[0]!.servers.map((s) => s.name)).toEqual(["server-0"]);
      await new Promise((r) => setTimeout(r, 400));
      // A stopped thread starts again for the next batch.
      expect((await thread.analyze(batch)).length).toBe(1);
    } finally {
      await thread.close();
    }
  }, 30000);
});
