import { randomUUID } from "node:crypto";

/** Onboards a partner through the running service's admin API; returns its ID and API key (shown once). */
export async function createPartner(
  baseUrl: string,
  adminKey: string,
  partner: { name: string; partnerLocationId: string },
): Promise<{ partnerId: string; apiKey: string }> {
  const response = await fetch(`${baseUrl}/api/v1/admin/partners`, {
    method: "POST",
    headers: {
      authorization: `ApiKey ${adminKey}`,
      "idempotency-key": randomUUID(),
      "content-type": "application/json",
    },
    body: JSON.stringify(partner),
  });
  if (response.status !== 201)
    throw new Error(`creating the partner failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as { partnerId: string; apiKey: string };
}

/** Whether an API key still opens the API (a fresh in-memory store forgets every key). */
export async function keyWorks(baseUrl: string, apiKey: string): Promise<boolean> {
  const response = await fetch(`${baseUrl}/api/v1/associations?pageSize=1`, {
    headers: { authorization: `ApiKey ${apiKey}` },
  });
  return response.status === 200;
}
