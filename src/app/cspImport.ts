import { z } from "zod";
import type { Association, CspDetails } from "../domain/association";
import { ConflictError, DomainError, NonRetriableError, ValidationError } from "../domain/errors";
import type { Job, JobResult } from "../domain/job";
import { associationKindOf, createCspInput } from "../domain/schemas/createAssociation";
import { guid, partnerLocationId } from "../domain/schemas/primitives";
import { claimUnitsOf } from "../domain/units";
import type {
  CustomersContinuation,
  IndirectProvider,
  PartnerCenterAccess,
  PartnerCenterSubscription,
} from "../integrations/partnerCenter";
import type { Store } from "../store/store";
import { createAssociation } from "./createAssociation";
import { recordJobResult, setJobTotal, startJob, type JobPorts } from "./jobs";
import { withoutWorkflows, type Workflows } from "./lifecycle";
import { derivedId } from "./operationIds";
import type { AppPorts } from "./ports";
import { applyStatusChange, type StatusPorts } from "./statusChanges";

/**
 * CSP relationships imported from Partner Center (one job per import, orchestration `cspImport`,
 * instance ID = job ID). Each customer in the partner's Partner Center customer list becomes, or
 * keeps, one Active `csp` association of that partner for that customer tenant (several partners
 * may each have theirs for one customer); an association an earlier import made whose customer is
 * no longer listed is Ended; one that reappears is Active again. Manually recorded ones (`source:
 * "manual"`) are never ended by an import; one the list names is taken over (`source: "import"`).
 * Every step is idempotent: activities run at least once, and each customer's first recorded
 * outcome stands.
 */
export const cspImportOrchestratorName = "cspImport";

/** Customers per `importCspCustomers` activity: each page of the customer list fans out in batches. */
export const cspImportBatchSize = 20;

/** Direct bill, or indirect reseller through an indirect provider (its MPN ID). */
export const cspModel = z.discriminatedUnion("model", [
  z.object({ model: z.literal("direct-bill") }).strict(),
  z.object({ model: z.literal("indirect-reseller"), indirectProviderLocationId: partnerLocationId }).strict(),
]);
export type CspModel = z.infer<typeof cspModel>;

/** A customer as the orchestration carries it from the page read to its import (no subscriptions). */
export const cspCustomerRef = z
  .object({
    index: z.number().int().nonnegative(),
    customerId: z.string().min(1).max(100),
    tenantId: z.string().max(100).optional(),
    domain: z.string().max(300).optional(),
    companyName: z.string().max(300).optional(),
  })
  .strict();
export type CspCustomerRef = z.infer<typeof cspCustomerRef>;

export const cspContinuation = z
  .object({ uri: z.string().min(1).max(4096), continuationToken: z.string().max(8192).optional() })
  .strict();

/**
 * The orchestration's input: only IDs at the start; `continueAsNew` (one page per execution, so the
 * history stays small) adds what the import has learnt. Never a secret: the activities read the
 * Partner Center app's settings themselves.
 */
export const cspImportInput = z
  .object({
    partnerId: z.string().min(1).max(64),
    jobId: z.string().min(1).max(64),
    /** The import's time (its first execution's): every customer's `lastImportedAt`. */
    at: z.iso.datetime().optional(),
    model: cspModel.optional(),
    next: cspContinuation.optional(),
    /** Customers read so far: the next one's result index. */
    index: z.number().int().nonnegative().default(0),
    pages: z.number().int().nonnegative().default(0),
  })
  .strict();
export type CspImportInput = z.input<typeof cspImportInput>;

/** A step that reads Partner Center: its value, or why the import cannot go on (never a secret). */
export type CspStep<T> = ({ ok: true } & T) | { ok: false; error: string };

const stepFailed = z.object({ ok: z.literal(false), error: z.string() }).strict();

/** `readCspModel`'s answer, as the orchestration reads it back. */
export const cspModelStep = z.union([
  z.object({ ok: z.literal(true), model: cspModel }).strict(),
  stepFailed,
]);

/** `readCspCustomers`' answer, as the orchestration reads it back. */
export const cspCustomersStep = z.union([
  z
    .object({ ok: z.literal(true), customers: z.array(cspCustomerRef), next: cspContinuation.optional() })
    .strict(),
  stepFailed,
]);

export interface CspImportPorts extends AppPorts {
  partnerCenter: PartnerCenterAccess;
}

/** The association an import makes for a customer: one per partner and customer tenant, whoever retries. */
export function cspImportAssociationId(partnerId: string, customerTenantId: string): string {
  return derivedId("csp-import", partnerId, customerTenantId.toLowerCase());
}

/**
 * `POST /csp/imports` and the daily timer: the Partner Center client is built first, so a partner
 * without access gets NotConfiguredError (503) before any job exists; then the job and its workflow,
 * resumably (a retry with the same `jobId` finds both).
 */
export async function startCspImport(
  ports: JobPorts & { partnerCenter: Pick<PartnerCenterAccess, "forPartner"> },
  workflows: Workflows,
  input: { partnerId: string; jobId: string },
): Promise<Job> {
  ports.partnerCenter.forPartner(input.partnerId);
  return startJob(ports, workflows, {
    partnerId: input.partnerId,
    id: input.jobId,
    kind: "csp-import",
    total: 0,
    orchestrator: cspImportOrchestratorName,
    input: cspImportInput.parse({ partnerId: input.partnerId, jobId: input.jobId }),
  });
}

/**
 * The partner's CSP model, from its indirect provider relationships: with an Active one it is an
 * indirect reseller through that provider (the lowest MPN ID when it has several: Partner Center
 * does not say which provider each customer buys through), otherwise direct bill.
 */
export async function readCspModel(
  ports: { partnerCenter: Pick<PartnerCenterAccess, "forPartner"> },
  partnerId: string,
): Promise<CspStep<{ model: CspModel }>> {
  return permanentFailureAsValue(async () => ({
    model: modelOf(await ports.partnerCenter.forPartner(partnerId).indirectProviders()),
  }));
}

export function modelOf(providers: readonly IndirectProvider[]): CspModel {
  const active = providers.filter((p) => (p.state ?? "").toLowerCase() === "active");
  if (active.length === 0) return { model: "direct-bill" };
  const ids = active.flatMap((p) => (partnerLocationId.safeParse(p.mpnId).success ? [p.mpnId ?? ""] : []));
  const [first] = ids.sort((a, b) => a.length - b.length || a.localeCompare(b));
  if (first === undefined)
    throw new NonRetriableError("Partner Center lists an Active indirect provider without a usable MPN ID");
  return { model: "indirect-reseller", indirectProviderLocationId: first };
}

/**
 * One page of the partner's customer list, each customer numbered from `index`. When it is the
 * last page the job's total becomes known (the customers; the import adds what it ends).
 */
export async function readCspCustomers(
  ports: { partnerCenter: Pick<PartnerCenterAccess, "forPartner">; store: Pick<Store, "jobs"> },
  input: { partnerId: string; jobId: string; index: number; next?: CustomersContinuation | undefined },
): Promise<CspStep<{ customers: CspCustomerRef[]; next?: CustomersContinuation }>> {
  return permanentFailureAsValue(async () => {
    const page = await ports.partnerCenter.forPartner(input.partnerId).customers(input.next);
    const customers = page.customers.map((c, i) =>
      cspCustomerRef.parse({
        index: input.index + i,
        customerId: c.id.slice(0, 100),
        ...(c.tenantId ? { tenantId: c.tenantId.slice(0, 100) } : {}),
        ...(c.domain ? { domain: c.domain.slice(0, 300) } : {}),
        ...(c.companyName ? { companyName: c.companyName.slice(0, 300) } : {}),
      }),
    );
    if (!page.next) await setJobTotal(ports, input.partnerId, input.jobId, input.index + customers.length);
    return { customers, ...(page.next ? { next: page.next } : {}) };
  });
}

export interface ImportCspCustomersInput {
  partnerId: string;
  jobId: string;
  at: string;
  model: CspModel;
  customers: readonly CspCustomerRef[];
}

/**
 * Imports a batch of customers, one after the other, recording each one's outcome. A customer
 * Partner Center cannot tell us about (its subscriptions fail even after the client's retries), or
 * whose data breaks a rule, is recorded `failed` / `invalid` and the others go on; a storage
 * failure throws, and the activity is retried (what was recorded stays).
 */
export async function importCspCustomers(
  ports: CspImportPorts,
  input: ImportCspCustomersInput,
): Promise<JobResult[]> {
  const client = ports.partnerCenter.forPartner(input.partnerId);
  const partner = await ports.store.partners.get(input.partnerId);
  const results: JobResult[] = [];
  for (const customer of input.customers) {
    const result = await importOne(ports, input, customer, partner.partnerLocationIds[0] ?? "", () =>
      client.subscriptions(customer.customerId),
    );
    await recordJobResult(ports, input.jobId, result);
    results.push(result);
  }
  return results;
}

async function importOne(
  ports: AppPorts,
  input: ImportCspCustomersInput,
  customer: CspCustomerRef,
  locationId: string,
  readSubscriptions: () => Promise<PartnerCenterSubscription[]>,
): Promise<JobResult> {
  const key = (customer.tenantId ?? customer.customerId).toLowerCase();
  const tenant = guid.safeParse(customer.tenantId);
  const base = { index: customer.index, key, ...(tenant.success ? { customerTenantId: tenant.data } : {}) };
  if (!tenant.success)
    return {
      ...base,
      outcome: "invalid",
      errors: [{ path: "companyProfile.tenantId", message: "must be the customer's tenant ID (a GUID)" }],
    };
  let subscriptions: PartnerCenterSubscription[];
  try {
    subscriptions = await readSubscriptions();
  } catch (err) {
    if (err instanceof DomainError) return { ...base, outcome: "failed", error: err.message.slice(0, 2000) };
    throw err;
  }
  const details = cspDetailsOf(customer, subscriptions, input);
  try {
    const { association, outcome, note } = await upsertRelationship(ports, input, {
      customerTenantId: tenant.data,
      domain: customer.domain,
      locationId,
      details,
    });
    return { ...base, outcome, associationId: association.id, ...(note ? { note } : {}) };
  } catch (err) {
    if (err instanceof ValidationError)
      return { ...base, outcome: "invalid", errors: err.issues.map(partnerCenterField).slice(0, 50) };
    if (err instanceof ConflictError || err instanceof NonRetriableError)
      return { ...base, outcome: "failed", error: err.message.slice(0, 2000) };
    throw err;
  }
}

/** What was wrong, named as Partner Center names it. */
function partnerCenterField(issue: { path: string; message: string }) {
  const path = issue.path === "customerDomain" ? "companyProfile.domain" : issue.path;
  return { path, message: issue.message.slice(0, 1000) };
}

interface Relationship {
  customerTenantId: string;
  domain: string | undefined;
  locationId: string;
  details: CspDetails;
}

type Outcome = { association: Association; outcome: "created" | "updated" | "unchanged"; note?: string };

/**
 * The partner's live CSP association for the tenant (the claims index's `csp-customer:{partnerId}`
 * holder, manual or imported), else the one imports make (any status), else a new one.
 */
async function upsertRelationship(
  ports: AppPorts,
  input: ImportCspCustomersInput,
  r: Relationship,
): Promise<Outcome> {
  const { store } = ports;
  const { partnerId } = input;
  const id = cspImportAssociationId(partnerId, r.customerTenantId);
  const fresh = cspRequest({
    type: "csp",
    ...input.model,
    partnerLocationId: r.locationId,
    customerTenantId: r.customerTenantId,
    customerDomain: r.domain,
  });
  const [unit = ""] = claimUnitsOf(partnerId, fresh);
  const holder = await store.claims.holder(r.customerTenantId, unit);
  const existing =
    (holder && (await store.associations.find(partnerId, holder.associationId))?.value) ??
    (await store.associations.find(partnerId, id))?.value;
  if (!existing) {
    const created = await createAssociation(ports, withoutWorkflows, {
      partnerId,
      id,
      request: fresh,
      details: { csp: r.details },
      actor: "system",
    });
    return { association: created, outcome: "created" };
  }
  return updateRelationship(ports, input, existing, fresh, r.details);
}

/** An existing association takes the list's facts; an Ended one is Active again. */
async function updateRelationship(
  ports: AppPorts,
  input: ImportCspCustomersInput,
  existing: Association,
  fresh: CspRequest,
  details: CspDetails,
): Promise<Outcome> {
  if (existing.request.type !== "csp")
    throw new NonRetriableError(`association ${existing.id} is not a CSP association`);
  const { indirectProviderLocationId: _old, ...kept } = existing.request;
  const request = cspRequest({
    ...kept,
    model: fresh.model,
    customerDomain: fresh.customerDomain,
    ...(fresh.indirectProviderLocationId
      ? { indirectProviderLocationId: fresh.indirectProviderLocationId }
      : {}),
  });
  const facts = { request, kind: associationKindOf(request), csp: details };
  if (existing.status === "Ended") {
    const { association, applied } = await applyStatusChange(ports, {
      partnerId: existing.partnerId,
      associationId: existing.id,
      to: "Active",
      actor: "system",
      reason: "the customer is in the partner's Partner Center customer list again (CSP import)",
      changeId: derivedId("csp-import-active", input.jobId, existing.id),
      at: input.at,
      onlyFrom: ["Ended"],
      data: { jobId: input.jobId },
      alsoSet: () => facts,
    });
    if (applied) return { association, outcome: "updated", note: "Active again: back in the customer list" };
  }
  let changed = false;
  const { value } = await ports.store.associations.update(existing.partnerId, existing.id, (current) => {
    changed = relationshipFacts(current) !== relationshipFacts({ ...current, ...facts });
    return { ...current, ...facts, ...(changed ? { updatedAt: ports.clock().toISOString() } : {}) };
  });
  return { association: value, outcome: changed ? "updated" : "unchanged" };
}

type CspRequest = z.infer<typeof createCspInput>;

/** The relationship as a CSP create request; a rule it breaks is a ValidationError naming the field. */
function cspRequest(value: Record<string, unknown>): CspRequest {
  const parsed = createCspInput.safeParse(value);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
    );
  return parsed.data;
}

/** What an import may change, as one comparable string: the import's stamps are not facts. */
function relationshipFacts(a: Pick<Association, "kind" | "request" | "csp">): string {
  const request = a.request.type === "csp" ? a.request : undefined;
  return JSON.stringify([
    a.kind,
    request?.model,
    request?.customerDomain,
    request?.indirectProviderLocationId ?? null,
    a.csp?.source,
    a.csp?.companyName ?? null,
    a.csp?.subscriptionCount,
    (a.csp?.subscriptions ?? []).map((s) => [
      s.id,
      s.offerName ?? null,
      s.quantity ?? null,
      s.status ?? null,
    ]),
  ]);
}

/** Keeps 200 subscriptions (by ID, so two reads of one list compare equal) and fits every field. */
export function cspDetailsOf(
  customer: Pick<CspCustomerRef, "companyName">,
  subscriptions: readonly PartnerCenterSubscription[],
  input: { at: string; jobId: string },
): CspDetails {
  const companyName = oneLine(customer.companyName, 300);
  return {
    source: "import",
    ...(companyName ? { companyName } : {}),
    subscriptions: [...subscriptions]
      .sort((a, b) => a.id.localeCompare(b.id))
      .slice(0, 200)
      .map((s) => {
        const offerName = oneLine(s.offerName, 300);
        const status = oneLine(s.status, 50);
        const quantity = s.quantity;
        return {
          id: s.id.slice(0, 100),
          ...(offerName ? { offerName } : {}),
          ...(quantity !== undefined && Number.isSafeInteger(quantity) && quantity >= 0 ? { quantity } : {}),
          ...(status ? { status } : {}),
        };
      }),
    subscriptionCount: subscriptions.length,
    lastImportedAt: input.at,
    lastImportJobId: input.jobId,
  };
}

/** Partner Center's text as one clean line (no controls, well-formed), cut to `max`; undefined when empty. */
function oneLine(value: string | undefined, max: number): string | undefined {
  const line = (value ?? "")
    .replace(/[\p{Cc}\u2028\u2029]/gu, " ")
    .trim()
    .slice(0, max)
    .replace(/\p{Cs}/gu, "\uFFFD")
    .trim();
  return line === "" ? undefined : line;
}

/**
 * After every page: the partner's imported associations whose customer this import did not list
 * (no result below `firstIndex`) are Ended, each recorded from `firstIndex` on, and the job's
 * total becomes customers + ended. Ones this job ended in an earlier attempt (their last change is
 * this job's) are counted again in the same order, so a retried activity lands on the same indexes
 * and records nothing twice. Manual associations are never ended here.
 */
export async function endMissingCspCustomers(
  ports: StatusPorts & { store: Pick<Store, "associations" | "jobs"> },
  input: { partnerId: string; jobId: string; at: string; firstIndex: number },
): Promise<{ ended: number }> {
  const results = await ports.store.jobs.results(input.jobId);
  const listed = new Set(results.filter((r) => r.index < input.firstIndex).map((r) => r.key.toLowerCase()));
  const endChange = (a: Association) => derivedId("csp-import-ended", input.jobId, a.id);
  const missing = (await cspAssociationsOf(ports, input.partnerId))
    .filter((a) => a.csp?.source === "import" && !listed.has(a.customerTenantId))
    .filter((a) => a.status === "Active" || (a.status === "Ended" && a.lastChangeId === endChange(a)))
    .sort((a, b) => a.customerTenantId.localeCompare(b.customerTenantId) || a.id.localeCompare(b.id));
  for (const [k, association] of missing.entries()) {
    await applyStatusChange(ports, {
      partnerId: input.partnerId,
      associationId: association.id,
      to: "Ended",
      actor: "system",
      reason: "the customer is no longer in the partner's Partner Center customer list (CSP import)",
      changeId: endChange(association),
      at: input.at,
      onlyFrom: ["Active"],
      data: { jobId: input.jobId },
    });
    await recordJobResult(ports, input.jobId, {
      index: input.firstIndex + k,
      key: association.customerTenantId,
      customerTenantId: association.customerTenantId,
      outcome: "ended",
      associationId: association.id,
    });
  }
  await setJobTotal(ports, input.partnerId, input.jobId, input.firstIndex + missing.length);
  return { ended: missing.length };
}

/** Every CSP association of the partner (one partition, both models). */
async function cspAssociationsOf(
  ports: { store: Pick<Store, "associations"> },
  partnerId: string,
): Promise<Association[]> {
  const kinds = ["csp-direct-bill", "csp-indirect-reseller"] as const;
  const lists = await Promise.all(kinds.map((kind) => ports.store.associations.listAll(partnerId, { kind })));
  return lists.flat();
}

/**
 * The daily re-import: one job per partner with Partner Center access, its ID derived from the
 * partner and the minute the timer fired (a repeated delivery of one occurrence starts nothing new).
 * Which partners have access: those listed in PARTNER_CENTER_PARTNER_TENANTS; with only the
 * deployment's PARTNER_CENTER_TENANT_ID, the deployment's partner when it has exactly one (that
 * tenant is one partner's account: importing it for several partners would give each of them the
 * same customers). Everyone else is skipped with a log line, and may still import on demand.
 */
export async function startScheduledCspImports(
  ports: JobPorts & { store: Pick<Store, "partners" | "jobs">; partnerCenter: PartnerCenterAccess },
  workflows: Workflows,
  log: (line: string) => void,
): Promise<{ started: string[]; skipped: string[] }> {
  const partnerIds = await ports.store.partners.allIds();
  const minute = ports.clock().toISOString().slice(0, 16);
  const started: string[] = [];
  const skipped: string[] = [];
  const failures: unknown[] = [];
  for (const partnerId of partnerIds) {
    const missing = ports.partnerCenter.missingSettings(partnerId);
    const shared = !ports.partnerCenter.hasOwnTenant(partnerId) && partnerIds.length > 1;
    if (missing.length > 0 || shared) {
      skipped.push(partnerId);
      log(
        `cspImportTimer: partner ${partnerId} skipped: ${
          missing.length > 0
            ? `missing ${missing.join(", ")}`
            : "not listed in PARTNER_CENTER_PARTNER_TENANTS (the deployment has several partners)"
        }`,
      );
      continue;
    }
    try {
      const jobId = derivedId("csp-import-schedule", partnerId, minute);
      await startCspImport(ports, workflows, { partnerId, jobId });
      started.push(partnerId);
      log(`cspImportTimer: partner ${partnerId}: import ${jobId} started`);
    } catch (err) {
      failures.push(err);
      log(`cspImportTimer: partner ${partnerId}: import not started: ${String(err)}`);
    }
  }
  if (failures.length > 0) throw failures[0];
  return { started, skipped };
}

/** Runs a Partner Center step; a failure no retry can fix is answered as a value, the rest thrown. */
async function permanentFailureAsValue<T extends object>(step: () => Promise<T>): Promise<CspStep<T>> {
  try {
    return { ok: true, ...(await step()) };
  } catch (err) {
    if (err instanceof NonRetriableError) return { ok: false, error: err.message.slice(0, 2000) };
    throw err;
  }
}
