import { app, type InvocationContext, type Timer } from "@azure/functions";
import { snapshotAllPartners } from "../../src/app/pcs";
import { getPorts } from "../composition";

export const pcsSnapshotTimerName = "pcsSnapshotTimer";

/**
 * The daily Partner Capability Score snapshot (schedule: app setting PCS_SNAPSHOT_SCHEDULE, NCRONTAB
 * in UTC): today's score of every area for every partner, kept for `GET /pcs/history` and for the
 * rule that a partner qualified on a day of the last six months stays qualified. Running twice in a
 * day replaces that day's snapshot. A partner that fails does not stop the others; the run then throws.
 */
export async function pcsSnapshotTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const { store, clock } = getPorts();
  const { partners } = await snapshotAllPartners({ store, clock }, (line) => context.log(line));
  context.log(`${pcsSnapshotTimerName}: scored ${partners} partner(s)`);
}

app.timer(pcsSnapshotTimerName, { schedule: "%PCS_SNAPSHOT_SCHEDULE%", handler: pcsSnapshotTimer });
