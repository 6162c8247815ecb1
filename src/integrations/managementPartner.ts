import { setTimeout as sleep } from "node:timers/promises";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { z } from "zod";
import { DependencyRefusedError, TransientDependencyError } from "../domain/errors";
import { describeNetworkFailure, describeTokenFailure } from "./entraFailures";

/**
 * Azure Resource Manager's Microsoft.ManagementPartner provider: the Partner Admin Link of one
 * identity (a service principal) in one customer tenant, called with a token for that identity in
 * that tenant (domain.md, api-version 2018-02-01, the only one):
 *   GET    /providers/Microsoft.ManagementPartner/partners          what the identity carries now
 *   PUT    /providers/Microsoft.ManagementPartner/partners/{id}    link a partner ID
 *   PATCH  /providers/Microsoft.ManagementPartner/partners/{id}    replace the linked partner ID
 *   DELETE /providers/Microsoft.ManagementPartner/partners/{id}    unlink
 * Answers `{etag, id, name, type, properties: {partnerId, partnerName?, tenantId, objectId, version,
 * createdTime, updatedTime, state: Active|Deleted}}`; errors `{error: {code, message}}`.
 *
 * Failures: Entra ID refusing the identity's credential is a `CredentialRefusedError`; ARM refusing
 * the request (401/403, BadRequest, Conflict) a `DependencyRefusedError`, naming ARM's code and
 * message; throttling, 5xx and network failures are retried a few times (Retry-After honoured),
 * then a `TransientDependencyError`. Messages never carry the secret or a token.
 */
export const apiVersion = "2018-02-01";

export interface PalIdentity {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export const managementPartner = z.object({
  etag: z.union([z.string(), z.number()]).optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  properties: z.object({
    partnerId: z.string(),
    partnerName: z.string().nullish(),
    tenantId: z.string().nullish(),
    objectId: z.string().nullish(),
    version: z.union([z.string(), z.number()]).nullish(),
    createdTime: z.string().nullish(),
    updatedTime: z.string().nullish(),
    state: z.string(),
  }),
});

/** What a link is, as the rest of the service reads it. */
export interface PartnerLink {
  partnerId: string;
  partnerName?: string | undefined;
  objectId?: string | undefined;
  state: string;
}

export interface ManagementPartnerClient {
  /** The link the identity carries now; undefined when it carries none (404). */
  current(identity: PalIdentity): Promise<PartnerLink | undefined>;
  /** Links `partnerId` (PUT); a Conflict means another ID is linked: use `replace`. */
  link(identity: PalIdentity, partnerId: string): Promise<PartnerLink>;
  /** Replaces the linked partner ID with `partnerId` (PATCH). */
  replace(identity: PalIdentity, partnerId: string): Promise<PartnerLink>;
  /** Unlinks `partnerId` (DELETE): "removed", or "absent" when there was nothing to remove (404). */
  remove(identity: PalIdentity, partnerId: string): Promise<"removed" | "absent">;
}

/**
 * The identity cannot act: Entra ID issued no token (a wrong or expired secret, an identity gone from
 * the tenant), or ARM refused its token (401/403).
 */
export class CredentialRefusedError extends DependencyRefusedError {}

/** ARM answered `{error: {code: "Conflict"}}`: another partner ID is linked. */
export class LinkConflictError extends DependencyRefusedError {}

export interface ManagementPartnerOptions {
  /** ARM's root, e.g. `https://management.azure.com` (the token scope is `{armBaseUrl}/.default`). */
  armBaseUrl: string;
  /** Entra ID authority, e.g. `https://login.microsoftonline.com`. */
  authorityHost: string;
  fetch?: typeof fetch;
  attempts?: number;
  baseDelayMs?: number;
  requestTimeoutMs?: number;
}

export function createManagementPartnerClient(options: ManagementPartnerOptions): ManagementPartnerClient {
  const base = options.armBaseUrl.replace(/\/+$/, "");
  const scope = `${base}/.default`;
  const send = options.fetch ?? fetch;
  const attempts = Math.max(1, options.attempts ?? 3);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const collection = `${base}/providers/Microsoft.ManagementPartner/partners`;
  const one = (partnerId: string) =>
    `${collection}/${encodeURIComponent(partnerId)}?api-version=${apiVersion}`;

  async function token(identity: PalIdentity): Promise<string> {
    // A credential per call: the secret is not kept in memory beyond the call that needs it.
    const credential: TokenCredential = new ClientSecretCredential(
      identity.tenantId,
      identity.clientId,
      identity.clientSecret,
      { authorityHost: options.authorityHost, disableInstanceDiscovery: true },
    );
    try {
      const issued = await credential.getToken(scope);
      if (issued) return issued.token;
    } catch (err) {
      const { permanent, detail } = describeTokenFailure(err);
      if (permanent)
        throw new CredentialRefusedError(
          `Entra ID refused the identity ${identity.clientId} in tenant ${identity.tenantId} (${detail}): check its client secret and that it exists in that tenant`,
          [{ path: "identity", message: `the credential was refused (${detail})` }],
          { cause: err },
        );
      throw new TransientDependencyError(`no token for the identity ${identity.clientId} (${detail})`, {
        cause: err,
      });
    }
    throw new TransientDependencyError(`Entra ID issued no token for the identity ${identity.clientId}`);
  }

  async function call(
    identity: PalIdentity,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const bearer = await token(identity);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await send(url, {
          method,
          headers: {
            authorization: `Bearer ${bearer}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        if (attempt >= attempts)
          throw new TransientDependencyError(
            `Azure Resource Manager did not answer: ${describeNetworkFailure(err, timeoutMs)}`,
            { cause: err },
          );
        await sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      const json = parseJson(text);
      if (response.status !== 429 && response.status < 500) return { status: response.status, json };
      const retryAfter = retryAfterSeconds(response.headers.get("retry-after"));
      if (attempt >= attempts)
        throw new TransientDependencyError(
          `Azure Resource Manager answered ${response.status}${armError(json) ? ` (${armError(json)?.code})` : ""}`,
          retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter },
        );
      await sleep(retryAfter === undefined ? backoff(attempt) : Math.min(retryAfter * 1000, 30_000));
    }
  }

  const backoff = (attempt: number) => baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);

  function linkOf(json: unknown, what: string): PartnerLink {
    const parsed = managementPartner.safeParse(json);
    if (!parsed.success)
      throw new TransientDependencyError(`Azure Resource Manager answered ${what} with an unexpected body`);
    const p = parsed.data.properties;
    return {
      partnerId: p.partnerId,
      ...(p.partnerName ? { partnerName: p.partnerName } : {}),
      ...(p.objectId ? { objectId: p.objectId } : {}),
      state: p.state,
    };
  }

  function refused(status: number, json: unknown, what: string): DependencyRefusedError {
    const error = armError(json);
    const said = error ? `${error.code}: ${error.message}` : `HTTP ${status}`;
    const path = status === 401 || status === 403 ? "identity" : "customerTenantId";
    const Refusal =
      status === 401 || status === 403
        ? CredentialRefusedError
        : error?.code === "Conflict" || status === 409
          ? LinkConflictError
          : DependencyRefusedError;
    return new Refusal(`Azure Resource Manager refused to ${what} (${said})`, [
      { path, message: `Azure Resource Manager refused: ${said}` },
    ]);
  }

  return {
    async current(identity) {
      const { status, json } = await call(identity, "GET", `${collection}?api-version=${apiVersion}`);
      if (status === 404) return undefined;
      if (status !== 200) throw refused(status, json, "read the identity's link");
      return linkOf(json, "the link read");
    },
    async link(identity, partnerId) {
      const { status, json } = await call(identity, "PUT", one(partnerId));
      if (status !== 200 && status !== 201) throw refused(status, json, `link partner ID ${partnerId}`);
      return linkOf(json, "the link");
    },
    async replace(identity, partnerId) {
      const { status, json } = await call(identity, "PATCH", one(partnerId));
      if (status !== 200) throw refused(status, json, `replace the linked partner ID with ${partnerId}`);
      return linkOf(json, "the replacement");
    },
    async remove(identity, partnerId) {
      const { status, json } = await call(identity, "DELETE", one(partnerId));
      if (status === 404) return "absent";
      if (status !== 200 && status !== 204) throw refused(status, json, `unlink partner ID ${partnerId}`);
      return "removed";
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** ARM's `{error: {code, message}}`, cut to a safe length; undefined for any other body. */
function armError(json: unknown): { code: string; message: string } | undefined {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== "string") return undefined;
  return {
    code: error.code.slice(0, 80),
    message: typeof error.message === "string" ? error.message.slice(0, 300) : "",
  };
}

function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}
