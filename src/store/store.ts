import { ApiKeyRepository } from "./apiKeys";
import { AssociationRepository } from "./associations";
import { AuditEventRepository } from "./auditEvents";
import { ClaimRepository } from "./claims";
import { DocumentStore } from "./documents";
import { IdempotencyKeyRepository, type IdempotencyOptions } from "./idempotencyKeys";
import { IncentiveLedgerRepository } from "./incentiveLedger";
import { JobRepository } from "./jobs";
import { OutboxRepository } from "./outbox";
import { PartnerRepository } from "./partners";
import { PcsRepository } from "./pcs";
import { TableStore, type StorageConnection, type TableStoreOptions } from "./tableStore";
import { UsageSnapshotRepository } from "./usageSnapshots";
import { SigningKeyRepository } from "./signingKeys";
import { WebhookDeliveryRepository } from "./webhookDeliveries";

/** Every repository over one storage account: what the composition module hands to activities and handlers. */
export interface Store {
  tables: TableStore;
  partners: PartnerRepository;
  associations: AssociationRepository;
  claims: ClaimRepository;
  auditEvents: AuditEventRepository;
  usageSnapshots: UsageSnapshotRepository;
  incentiveLedger: IncentiveLedgerRepository;
  outbox: OutboxRepository;
  idempotencyKeys: IdempotencyKeyRepository;
  apiKeys: ApiKeyRepository;
  documents: DocumentStore;
  jobs: JobRepository;
  pcs: PcsRepository;
  webhookDeliveries: WebhookDeliveryRepository;
  signingKeys: SigningKeyRepository;
}

export function createStore(
  connection: StorageConnection,
  options: TableStoreOptions & { idempotency?: IdempotencyOptions } = {},
): Store {
  const tables = new TableStore(connection, options);
  return {
    tables,
    partners: new PartnerRepository(tables),
    associations: new AssociationRepository(tables),
    claims: new ClaimRepository(tables),
    auditEvents: new AuditEventRepository(tables),
    usageSnapshots: new UsageSnapshotRepository(tables),
    incentiveLedger: new IncentiveLedgerRepository(tables),
    outbox: new OutboxRepository(tables),
    idempotencyKeys: new IdempotencyKeyRepository(tables, options.idempotency),
    apiKeys: new ApiKeyRepository(tables),
    documents: new DocumentStore(connection),
    jobs: new JobRepository(tables),
    pcs: new PcsRepository(tables),
    webhookDeliveries: new WebhookDeliveryRepository(tables),
    signingKeys: new SigningKeyRepository(tables),
  };
}
