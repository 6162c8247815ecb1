import { app, type InvocationContext, type Timer } from "@azure/functions";
import { enqueuePalVerifications } from "../../src/app/palLinks";
import { getPorts } from "../composition";

export const palVerifyTimerName = "palVerifyTimer";

/**
 * The PAL re-verification (schedule: app setting PAL_VERIFY_SCHEDULE, NCRONTAB in UTC, weekly by
 * default): one message per link on PAL_VERIFY_QUEUE (`enqueuePalVerifications`), each checked at
 * ARM by `functions/queues/palVerify.ts`. A failure part-way throws; the next occurrence enqueues
 * every link again (checking a link twice changes nothing more).
 */
async function palVerifyTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const { store, palVerifyQueue } = getPorts();
  const enqueued = await enqueuePalVerifications({ store, queue: palVerifyQueue });
  context.log(`${palVerifyTimerName}: ${enqueued} PAL link(s) enqueued for verification`);
}

app.timer(palVerifyTimerName, { schedule: "%PAL_VERIFY_SCHEDULE%", handler: palVerifyTimer });
