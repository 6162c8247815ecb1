import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { finishJobName, type FinishJobInput } from "../../functions/activities/finishJob";
import { linkPalTenantName, type LinkPalTenantInput } from "../../functions/activities/linkPalTenant";
import { palBulkBatchSize, palBulkLink, palBulkLinkName } from "../../functions/orchestrators/palBulkLink";
import type { PalBulkLinkJobInput } from "../../src/domain/schemas/palLink";
import { calls, idOf, only, OrchestrationReplay } from "../support/orchestrationReplay";

const t0 = new Date("2026-11-01T10:00:00.000Z");

function input(tenants: number): PalBulkLinkJobInput {
  return {
    partnerId: "partner-a",
    jobId: "job-1",
    clientId: randomUUID(),
    sealedSecret: "v1.sealed",
    count: tenants,
  };
}

async function start(job: PalBulkLinkJobInput) {
  const replay = new OrchestrationReplay(palBulkLink, job.jobId, job, t0, palBulkLinkName);
  await replay.run();
  return replay;
}

/** Completes every pending link call; answers their inputs. */
async function linkPending(replay: OrchestrationReplay): Promise<LinkPalTenantInput[]> {
  const pending = calls(replay.pending(), linkPalTenantName);
  for (const call of pending) await replay.complete(idOf(call), { outcome: "linked" });
  return pending.map((c) => c.action.input as LinkPalTenantInput);
}

describe("palBulkLink", () => {
  it("links a batch at a time, each tenant by its item's index with the sealed secret only, then finishes the job", async () => {
    const job = input(palBulkBatchSize + 3);
    const replay = await start(job);
    const first = await linkPending(replay);
    expect(first).toHaveLength(palBulkBatchSize);
    expect(first[0]).toEqual({
      partnerId: "partner-a",
      jobId: "job-1",
      index: 0,
      clientId: job.clientId,
      sealedSecret: "v1.sealed",
    });
    const second = await linkPending(replay);
    expect(second.map((i) => i.index)).toEqual([10, 11, 12]);
    const finish = only(calls(replay.pending(), finishJobName));
    expect(finish.action.input as FinishJobInput).toEqual({
      partnerId: "partner-a",
      jobId: "job-1",
      at: t0.toISOString(),
    });
    await replay.complete(idOf(finish), null);
    expect(replay.state).toMatchObject({ isDone: true, output: "Completed" });
  });
});
