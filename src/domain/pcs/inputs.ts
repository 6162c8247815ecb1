import type { AssociationKind, PcsSolutionArea } from "../associationTypes";
import type { WorkloadId } from "../workloads";

/**
 * What the score is computed from: the partner's associations as spans of days in which each counted,
 * the usage readings of its customers, the certification counts and the Azure consumed revenue the
 * partner reported, and the last day each area qualified (from the stored daily snapshots).
 */
export interface PcsAssociation {
  kind: AssociationKind;
  customerTenantId: string;
  /** The day it began to count (approval, confirmation, link, relationship). */
  since: string;
  /** The day it stopped counting; absent while it counts. */
  until?: string;
}

export interface PcsReading {
  workload: WorkloadId;
  reportRefreshDate: string;
  paidSeats: number;
  activeUsers: number;
}

export interface PcsRevenue {
  customerTenantId: string;
  /** YYYY-MM */
  month: string;
  /** USD */
  amount: number;
  /** The Azure service, when the partner reports revenue by service (deployments need it). */
  service?: string;
}

export interface SkillingCounts {
  intermediate: number;
  advanced: number;
}

export interface PcsInputs {
  /** The day scored (YYYY-MM-DD, UTC). */
  today: string;
  associations: readonly PcsAssociation[];
  /** Per customer tenant (lower-case), its readings in refresh-date order. */
  readings: ReadonlyMap<string, readonly PcsReading[]>;
  skilling: Partial<Record<PcsSolutionArea, SkillingCounts>>;
  revenue: readonly PcsRevenue[];
  /** The last day before today each area qualified, from the stored snapshots. */
  lastQualifiedOn: Partial<Record<PcsSolutionArea, string>>;
}
