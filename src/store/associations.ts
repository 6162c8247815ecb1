import { odata } from "@azure/data-tables";
import { z } from "zod";
import {
  association,
  cspDetails,
  dporDetails,
  palDetails,
  statusChangeRecord,
  storedRequest,
  tporDetails,
  type Association,
} from "../domain/association";
import { reviewRecord } from "../domain/review";
import { associationKind, type AssociationKind } from "../domain/associationTypes";
import { NotFoundError } from "../domain/errors";
import { claimedWorkloadsOf } from "../domain/milestoneRules";
import type { AssociationStatus } from "../domain/status";
import type { WorkloadId } from "../domain/workloads";
import { entityCodec, etagOf, jsonColumn, type Versioned } from "./entityCodec";
import { readAll, readKeptPage, readPage, type Page, type PageRequest } from "./paging";
import { retryOnConcurrency, type RetryOptions } from "./retry";
import { insertNew, readOptional, replaceIfMatch } from "./tableOps";
import type { TableStore } from "./tableStore";

/** PartitionKey = partner, so a partner's list is one partition and another partner's rows are unreachable. */
const entity = association
  .omit({
    units: true,
    request: true,
    baseline: true,
    milestoneFlags: true,
    recordedMilestones: true,
    lastChange: true,
    review: true,
    dpor: true,
    pal: true,
    csp: true,
    tpor: true,
  })
  .extend({
    partitionKey: z.string(),
    rowKey: z.string(),
    unitsJson: jsonColumn(z.array(z.string())),
    requestJson: jsonColumn(storedRequest),
    baselineJson: jsonColumn(association.shape.baseline.unwrap()).optional(),
    milestoneFlagsJson: jsonColumn(association.shape.milestoneFlags.unwrap()).optional(),
    recordedMilestonesJson: jsonColumn(association.shape.recordedMilestones.unwrap()).optional(),
    lastChangeJson: jsonColumn(statusChangeRecord).optional(),
    reviewJson: jsonColumn(reviewRecord).optional(),
    dporJson: jsonColumn(dporDetails).optional(),
    palJson: jsonColumn(palDetails).optional(),
    cspJson: jsonColumn(cspDetails).optional(),
    tporJson: jsonColumn(tporDetails).optional(),
  });

/** Optional structured fields, each kept as one JSON column named `<field>Json`. */
const jsonFields = [
  "baseline",
  "milestoneFlags",
  "recordedMilestones",
  "lastChange",
  "review",
  "dpor",
  "pal",
  "csp",
  "tpor",
] as const;

const codec = entityCodec({
  what: "association",
  schema: entity,
  // The API reads the same rows over and over (GET, lists, timelines); see entityCodec.
  reuse: 10_000,
  toEntity: (value: Association) => {
    const {
      units,
      request,
      baseline: _b,
      milestoneFlags: _m,
      recordedMilestones: _rm,
      lastChange: _l,
      review: _v,
      dpor: _d,
      pal: _p,
      csp: _c,
      tpor: _t,
      ...rest
    } = value;
    const columns: Record<string, string> = {};
    for (const field of jsonFields)
      if (value[field] !== undefined) columns[`${field}Json`] = JSON.stringify(value[field]);
    return {
      partitionKey: rest.partnerId,
      rowKey: rest.id,
      ...rest,
      unitsJson: JSON.stringify(units),
      requestJson: JSON.stringify(request),
      ...columns,
    };
  },
  fromEntity: ({
    partitionKey: _p,
    rowKey: _r,
    unitsJson,
    requestJson,
    baselineJson,
    milestoneFlagsJson,
    recordedMilestonesJson,
    lastChangeJson,
    reviewJson,
    dporJson,
    palJson,
    cspJson,
    tporJson,
    ...rest
  }) => ({
    ...rest,
    units: unitsJson,
    request: requestJson,
    ...(baselineJson ? { baseline: baselineJson } : {}),
    ...(milestoneFlagsJson ? { milestoneFlags: milestoneFlagsJson } : {}),
    ...(recordedMilestonesJson ? { recordedMilestones: recordedMilestonesJson } : {}),
    ...(lastChangeJson ? { lastChange: lastChangeJson } : {}),
    ...(reviewJson ? { review: reviewJson } : {}),
    ...(dporJson ? { dpor: dporJson } : {}),
    ...(palJson ? { pal: palJson } : {}),
    ...(cspJson ? { csp: cspJson } : {}),
    ...(tporJson ? { tpor: tporJson } : {}),
  }),
});

export interface AssociationFilter {
  status?: AssociationStatus;
  kind?: AssociationKind;
  customerTenantId?: string;
  /** Claims naming this workload (read from the request, so filtered after the query). */
  workload?: WorkloadId;
}

/** One partner's partition, narrowed by the filter. */
function partnerFilter(partnerId: string, filter: AssociationFilter): string {
  const clauses = [odata`PartitionKey eq ${partnerId}`];
  if (filter.status) clauses.push(odata`status eq ${filter.status}`);
  if (filter.kind) clauses.push(odata`kind eq ${associationKind.parse(filter.kind)}`);
  if (filter.customerTenantId)
    clauses.push(odata`customerTenantId eq ${filter.customerTenantId.toLowerCase()}`);
  return clauses.join(" and ");
}

export class AssociationRepository {
  constructor(private readonly store: TableStore) {}

  /** Inserts a new association; an existing ID is a ConflictError. Returns the ETag. */
  async create(value: Association): Promise<string> {
    const table = await this.store.table("associations");
    return insertNew(table, codec.toEntity(association.parse(value)), `association ${value.id}`);
  }

  /** The partner's association; another partner's ID is NotFound, exactly like a missing one. */
  async get(partnerId: string, id: string): Promise<Versioned<Association>> {
    const found = await this.find(partnerId, id);
    if (!found) throw new NotFoundError(`association ${id} was not found`);
    return found;
  }

  async find(partnerId: string, id: string): Promise<Versioned<Association> | undefined> {
    const table = await this.store.table("associations");
    const raw = await readOptional(table, partnerId, id, `association ${id}`);
    return raw && { value: codec.fromRaw(raw), etag: etagOf(raw) };
  }

  /** Replaces the stored association if it still has `etag`; a lost race is a ConcurrencyError. */
  async replace(value: Association, etag: string): Promise<string> {
    const table = await this.store.table("associations");
    return replaceIfMatch(table, codec.toEntity(association.parse(value)), etag, `association ${value.id}`);
  }

  /**
   * Read-modify-write with bounded retries on ETag races: `change` sees the latest stored value
   * each time and returns the new one (or the same object to leave it untouched).
   */
  async update(
    partnerId: string,
    id: string,
    change: (current: Association) => Association,
    options?: RetryOptions,
  ): Promise<Versioned<Association>> {
    return retryOnConcurrency(async () => {
      const current = await this.get(partnerId, id);
      const next = change(current.value);
      if (next === current.value) return current;
      return { value: next, etag: await this.replace(next, current.etag) };
    }, options);
  }

  /** One page of the partner's associations, optionally filtered. */
  async list(
    partnerId: string,
    filter: AssociationFilter = {},
    page: PageRequest = {},
  ): Promise<Page<Association>> {
    const table = await this.store.table("associations");
    const { workload } = filter;
    if (!workload) return readPage(table, partnerFilter(partnerId, filter), page, codec.fromRaw);
    return readKeptPage(table, partnerFilter(partnerId, filter), page, codec.fromRaw, (a) =>
      claimedWorkloadsOf(a).includes(workload),
    );
  }

  /**
   * Every association of the partner that matches, in one array: for background work over a
   * bounded set (a partner's DPORs, TPORs or CSP relationships), never for a partner's request.
   */
  async listAll(partnerId: string, filter: AssociationFilter = {}): Promise<Association[]> {
    const table = await this.store.table("associations");
    return readAll(table, partnerFilter(partnerId, filter), codec.fromRaw);
  }

  /**
   * One page of Approved associations of every partner, optionally of one kind: a cross-partition
   * scan, for background work only (the usage poller), never for a partner's request.
   */
  async listApproved(
    filter: { kind?: AssociationKind } = {},
    page: PageRequest = {},
  ): Promise<Page<Association>> {
    return this.listInStatuses(["Approved"], filter, page);
  }

  /** Associations of every partner in one of `statuses` (a cross-partition query, for scheduled work). */
  async listInStatuses(
    statuses: readonly AssociationStatus[],
    filter: { kind?: AssociationKind } = {},
    page: PageRequest = {},
  ): Promise<Page<Association>> {
    const table = await this.store.table("associations");
    const clauses = [`(${statuses.map((s) => odata`status eq ${s}`).join(" or ")})`];
    if (filter.kind) clauses.push(odata`kind eq ${associationKind.parse(filter.kind)}`);
    return readPage(table, clauses.join(" and "), page, codec.fromRaw);
  }
}
