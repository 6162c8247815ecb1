import { z } from "zod";

/** Hosts reachable over plain http, so local demos and tests can receive webhooks. */
const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `PUT /api/v1/webhook`: where the partner receives its status changes. */
export const putWebhookInput = z
  .object({
    url: z
      .url({ protocol: /^https?$/, error: "must be an absolute https URL" })
      .max(2048, "must be at most 2048 characters")
      // A transform runs only on a valid URL (z.url passed), so `new URL` cannot throw here.
      .transform((text, ctx) => {
        const url = new URL(text);
        if (url.protocol !== "https:" && !loopbackHosts.has(url.hostname))
          ctx.addIssue({ code: "custom", message: "must use https (http only for 127.0.0.1 or localhost)" });
        if (url.username !== "" || url.password !== "")
          ctx.addIssue({ code: "custom", message: "must not carry credentials (user:password@)" });
        return url.href;
      }),
  })
  .strict();
export type PutWebhookInput = z.infer<typeof putWebhookInput>;
