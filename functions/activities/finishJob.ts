import { z } from "zod";
import { finishJob as finish } from "../../src/app/jobs";
import { getPorts } from "../composition";
import { defineActivity } from "../defineActivity";

export const finishJobName = "finishJob";

export const finishJobInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    at: z.iso.datetime(),
    error: z.string().max(2000).optional(),
  })
  .strict();
export type FinishJobInput = z.infer<typeof finishJobInput>;

/** Marks a bulk operation Completed (or Failed, with the reason) once its orchestration has handled every item. */
export const finishJob = defineActivity({
  name: finishJobName,
  input: finishJobInput,
  handler: async (input, ports: Parameters<typeof finish>[0]) => {
    await finish(ports, input);
  },
  ports: () => ({ store: getPorts().store }),
});
