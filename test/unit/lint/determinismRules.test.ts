import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";

/**
 * The lint rules that keep orchestrators replayable and domain code pure are part of the design:
 * this runs the project's real ESLint configuration over small sources placed where they would live.
 */
// The probes are not files of the TypeScript project, so type-aware rules are switched off for them;
// the rules under test are syntactic and come from the project's own eslint.config.mjs.
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: tseslint.configs.disableTypeChecked });

async function ruleHits(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? "parse"}: ${m.message}`);
}

const orchestrator = "functions/orchestrators/lintProbe.ts";

describe("orchestrator determinism rules", () => {
  it.each([
    ["Date.now()", "export const t = Date.now();", "Use context.df.currentUtcDateTime"],
    ["new Date()", "export const t = new Date();", "Use context.df.currentUtcDateTime"],
    ["Math.random()", "export const r = Math.random();", "deterministic"],
    [
      "randomUUID",
      'import { randomUUID } from "node:crypto";\nexport const id = randomUUID();',
      "must not do I/O",
    ],
    [
      "a Node builtin",
      'import { readFileSync } from "fs";\nexport const f = readFileSync;',
      "must not do I/O",
    ],
    [
      "a storage SDK",
      'import { TableClient } from "@azure/data-tables";\nexport const c = TableClient;',
      "I/O",
    ],
    [
      "the store",
      'import { createStore } from "../../src/store/store";\nexport const s = createStore;',
      "storage",
    ],
    ["setTimeout", "setTimeout(() => undefined, 1);", "createTimer"],
  ])("bans %s", async (_case, code, message) => {
    const hits = await ruleHits(orchestrator, code);
    expect(hits.join("\n")).toContain(message);
  });

  it("allows a date built from the orchestration clock", async () => {
    const code = "export const due = (now: Date, ms: number): Date => new Date(now.getTime() + ms);";
    expect(await ruleHits(orchestrator, code)).toEqual([]);
  });
});

describe("layering rules", () => {
  it("keeps domain code free of I/O", async () => {
    const code = 'import { TableClient } from "@azure/data-tables";\nexport const c = TableClient;';
    expect((await ruleHits("src/domain/lintProbe.ts", code)).join("\n")).toContain(
      "Domain code must not do I/O",
    );
  });

  it("keeps production code off the local host", async () => {
    const code = 'import { startAzurite } from "../devhost/azurite";\nexport const s = startAzurite;';
    expect((await ruleHits("src/store/lintProbe.ts", code)).join("\n")).toContain(
      "Only tests use the local host",
    );
  });
});
