import { odata, type TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import { ConcurrencyError, ConflictError, ValidationError } from "../domain/errors";
import { entityCodec, etagOf } from "./entityCodec";
import { readAll } from "./paging";
import { isStatus, translateStorageError } from "./storageErrors";
import { retryOnConcurrency } from "./retry";
import { deleteIfMatch, insertOnce, readOptional, replaceIfMatch } from "./tableOps";
import { checked, type TableStore } from "./tableStore";

/**
 * The uniqueness index: PartitionKey = customer tenant, RowKey = unit (`workload:teams`). Holding a
 * unit is owning its row, and Table Storage's insert-if-absent makes the claim atomic: of any
 * number of concurrent claims exactly one insert succeeds.
 */
export interface Claim {
  customerTenantId: string;
  unit: string;
  partnerId: string;
  associationId: string;
  claimedAt: string;
  /** The holder this one took the unit over from (`handOver`), until it has been told. */
  previous?: ClaimHolder | undefined;
}

/** Who holds (or held) a unit. */
export interface ClaimHolder {
  partnerId: string;
  associationId: string;
}

const entity = z
  .object({
    partitionKey: z.string(),
    rowKey: z.string(),
    partnerId: z.string(),
    associationId: z.string(),
    claimedAt: z.iso.datetime(),
    previousPartnerId: z.string().optional(),
    previousAssociationId: z.string().optional(),
  })
  .strict();

const codec = entityCodec({
  what: "claim",
  schema: entity,
  toEntity: ({ customerTenantId, unit, previous, ...rest }: Claim) => ({
    partitionKey: customerTenantId,
    rowKey: unit,
    ...rest,
    ...(previous
      ? { previousPartnerId: previous.partnerId, previousAssociationId: previous.associationId }
      : {}),
  }),
  fromEntity: ({ partitionKey, rowKey, previousPartnerId, previousAssociationId, ...rest }): Claim => ({
    customerTenantId: partitionKey,
    unit: rowKey,
    ...rest,
    ...(previousPartnerId && previousAssociationId
      ? { previous: { partnerId: previousPartnerId, associationId: previousAssociationId } }
      : {}),
  }),
});

/** An entity-group transaction holds at most 100 operations. */
const maxUnitsPerClaim = 100;

export class ClaimRepository {
  constructor(private readonly store: TableStore) {}

  /**
   * Claims every unit for one association, all or nothing (one entity-group transaction: all units
   * share the tenant's partition). A unit held by another partner is a ConflictError naming the unit
   * only; one held by the same partner's other association also carries that association's ID.
   * Claiming again units this association already holds succeeds (activities run at least once).
   */
  async claim(
    customerTenantId: string,
    units: readonly string[],
    holder: Omit<Claim, "customerTenantId" | "unit">,
  ) {
    if (units.length === 0) return;
    if (units.length > maxUnitsPerClaim)
      throw new ValidationError([{ path: "units", message: `at most ${maxUnitsPerClaim} units per claim` }]);
    const table = await this.store.table("claims");
    const actions: TransactionAction[] = units.map((unit) => [
      "create",
      checked(codec.toEntity({ customerTenantId, unit, ...holder })),
    ]);
    try {
      await table.submitTransaction(actions);
      return;
    } catch (err) {
      if (!isStatus(err, 409)) return translateStorageError(err, "claim");
    }
    await this.explainConflict(customerTenantId, units, holder);
  }

  /**
   * Gives a unit to `holder` whoever holds it now (a customer's choice that replaces another's: the
   * subscription's active DPOR), and answers the holder it was taken from, if any. The row keeps
   * that previous holder, so a retry after a crash answers it again until the caller has acted on
   * it; a lost ETag race reads again (a concurrent hand-over wins or loses whole).
   */
  async handOver(
    partition: string,
    unit: string,
    holder: Omit<Claim, "customerTenantId" | "unit" | "previous">,
  ): Promise<ClaimHolder | undefined> {
    const table = await this.store.table("claims");
    return retryOnConcurrency(async () => {
      const raw = await readOptional(table, partition, unit, `claim on ${unit}`);
      if (!raw) {
        const row: Claim = { customerTenantId: partition, unit, ...holder };
        if (await insertOnce(table, codec.toEntity(row), `claim on ${unit}`)) return undefined;
        throw new ConcurrencyError(`claim on ${unit} was taken meanwhile`);
      }
      const current = codec.fromRaw(raw);
      if (current.associationId === holder.associationId) return current.previous;
      const previous = { partnerId: current.partnerId, associationId: current.associationId };
      const row: Claim = { customerTenantId: partition, unit, ...holder, previous };
      await replaceIfMatch(table, codec.toEntity(row), etagOf(raw), `claim on ${unit}`);
      return previous;
    });
  }

  /** Who holds a unit, if anyone. Internal: never shown to another partner. */
  async holder(customerTenantId: string, unit: string): Promise<Claim | undefined> {
    const table = await this.store.table("claims");
    const raw = await readOptional(table, customerTenantId, unit, `claim on ${unit}`);
    return raw && codec.fromRaw(raw);
  }

  /**
   * Releases the units this association holds; units held by anyone else are left alone, so a
   * release that runs twice, or after another partner re-claimed the unit, changes nothing.
   */
  async release(customerTenantId: string, units: readonly string[], associationId: string): Promise<void> {
    const table = await this.store.table("claims");
    for (const unit of units) {
      const raw = await readOptional(table, customerTenantId, unit, `claim on ${unit}`);
      if (!raw || codec.fromRaw(raw).associationId !== associationId) continue;
      // False when re-claimed between the read and the delete: then it is no longer ours to release.
      await deleteIfMatch(table, customerTenantId, unit, etagOf(raw), `claim on ${unit}`);
    }
  }

  /** Every unit held in a customer tenant. */
  async listByTenant(customerTenantId: string): Promise<Claim[]> {
    const table = await this.store.table("claims");
    return readAll(table, odata`PartitionKey eq ${customerTenantId}`, codec.fromRaw);
  }

  /** After a failed transaction: find the unit at fault and say so without naming its holder. */
  private async explainConflict(
    customerTenantId: string,
    units: readonly string[],
    claimant: Omit<Claim, "customerTenantId" | "unit">,
  ): Promise<void> {
    const holders = await Promise.all(units.map((unit) => this.holder(customerTenantId, unit)));
    if (holders.every((h) => h?.associationId === claimant.associationId)) return; // a retry of our own claim
    const held = holders.find((h) => h !== undefined && h.associationId !== claimant.associationId);
    if (!held) {
      // Every blocking claim was released since our attempt: the caller may simply try again.
      throw new ConflictError("a unit was being claimed concurrently; try again");
    }
    if (held.partnerId === claimant.partnerId)
      throw new ConflictError(`${held.unit} is already claimed by your association ${held.associationId}`, {
        unit: held.unit,
        existingAssociationId: held.associationId,
      });
    throw new ConflictError(`${held.unit} is already claimed by another partner`, { unit: held.unit });
  }
}
