import { randomBytes } from "node:crypto";
import { app } from "@azure/functions";
import { z } from "zod";
import { generateApiKey, hashApiKey } from "../../../src/auth/apiKeys";
import { partnerLocationId, shortText, email } from "../../../src/domain/schemas/primitives";
import { adminEndpoint, parseBody } from "../../../src/http/partnerEndpoint";
import { getPorts, type Ports } from "../../composition";

export const createPartnerInput = z
  .object({
    name: shortText(),
    partnerLocationId,
    /** More location IDs the partner claims under, beside the first. */
    otherLocationIds: z.array(partnerLocationId).max(49).optional(),
    contactEmail: email.optional(),
  })
  .strict();

/**
 * `POST /api/v1/admin/partners` (admin key): onboards a partner and returns its API key, the only
 * time the key is shown (only its hash is stored).
 */
export function createPartnerHandler(ports: () => Ports) {
  return adminEndpoint(ports, async (call) => {
    const { store, clock } = ports();
    const input = parseBody(createPartnerInput, call.body);
    const now = clock().toISOString();
    const partnerId = slug(input.name);
    const apiKey = generateApiKey();
    await store.partners.put({
      id: partnerId,
      name: input.name,
      partnerLocationIds: [input.partnerLocationId, ...(input.otherLocationIds ?? [])],
      ...(input.contactEmail ? { contactEmail: input.contactEmail } : {}),
      createdAt: now,
    });
    await store.apiKeys.add(hashApiKey(apiKey), partnerId, now);
    return { status: 201, jsonBody: { partnerId, apiKey } };
  });
}

/** A readable, unique partner ID: the name's letters and a random suffix. */
function slug(name: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .slice(0, 40) || "partner";
  return `${base}-${randomBytes(3).toString("hex")}`;
}

app.http("createPartner", {
  route: "v1/admin/partners",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: createPartnerHandler(getPorts),
});
