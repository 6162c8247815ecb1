import { z } from "zod";

/**
 * The Modern Work & Security workload catalog (CPOR OSU, claimed per customer tenant × workload).
 * IDs are the API's stable kebab-case names from domain.md. Thresholds and seat bands are the
 * seed's defaults (domain.md marks them "config"); incentive programs decide which milestones pay
 * and how much, and reference the milestone IDs defined here.
 */
export const workloadIds = [
  "exchange",
  "sharepoint",
  "teams",
  "teams-meetings",
  "teams-phone",
  "teams-platform",
  "m365-apps",
  "intune",
  "viva-engage",
  "viva-insights",
  "viva-learning",
  "viva-connections",
  "entra-id-p1",
  "entra-id-p2",
  "defender-office-365",
  "defender-endpoint",
  "defender-identity",
  "information-protection",
] as const;

export const workloadId = z.enum(workloadIds);
export type WorkloadId = z.infer<typeof workloadId>;

export type WorkloadSolutionArea = "modern-work" | "security";

/** A size band by paid seats, inclusive at both ends; `maxSeats` absent = unbounded. */
export interface SeatBand {
  id: SeatBandId;
  minSeats: number;
  maxSeats?: number;
}

export const seatBandIds = ["smb", "enterprise", "security"] as const;
export type SeatBandId = (typeof seatBandIds)[number];

/** domain.md: Modern Work Enterprise > 300 paid seats, SMB 11–300, Security ≥ 25 (config). */
export const seatBands: Readonly<Record<SeatBandId, SeatBand>> = {
  smb: { id: "smb", minSeats: 11, maxSeats: 300 },
  enterprise: { id: "enterprise", minSeats: 301 },
  security: { id: "security", minSeats: 25 },
};

export const milestoneIds = ["active-15", "active-40"] as const;
export const milestoneId = z.enum(milestoneIds);
export type MilestoneId = z.infer<typeof milestoneId>;

/** An active-usage milestone: reached when active users ÷ paid seats ≥ `activeShare`. */
export interface MilestoneDefinition {
  id: MilestoneId;
  activeShare: number;
}

const active15: MilestoneDefinition = { id: "active-15", activeShare: 0.15 };
const active40: MilestoneDefinition = { id: "active-40", activeShare: 0.4 };

export interface Workload {
  id: WorkloadId;
  name: string;
  solutionArea: WorkloadSolutionArea;
  /** The bands a tenant of this workload can fall in; the first whose range holds the seats applies. */
  seatBands: readonly SeatBandId[];
  /** Ascending by `activeShare`. */
  milestones: readonly MilestoneDefinition[];
}

const modernWork = (id: WorkloadId, name: string, select = false): Workload => ({
  id,
  name,
  solutionArea: "modern-work",
  seatBands: ["smb", "enterprise"],
  milestones: select ? [active15, active40] : [active15],
});

const security = (id: WorkloadId, name: string, select = false): Workload => ({
  id,
  name,
  solutionArea: "security",
  seatBands: ["security"],
  milestones: select ? [active15, active40] : [active15],
});

/** The seed's 40% milestone applies to Teams, Intune, Microsoft 365 Apps and Information Protection. */
export const workloadCatalog: Readonly<Record<WorkloadId, Workload>> = {
  exchange: modernWork("exchange", "Exchange Online"),
  sharepoint: modernWork("sharepoint", "SharePoint Online"),
  teams: modernWork("teams", "Microsoft Teams", true),
  "teams-meetings": modernWork("teams-meetings", "Teams Meetings"),
  "teams-phone": modernWork("teams-phone", "Teams Phone"),
  "teams-platform": modernWork("teams-platform", "Teams Platform"),
  "m365-apps": modernWork("m365-apps", "Microsoft 365 Apps", true),
  intune: security("intune", "Microsoft Intune", true),
  "viva-engage": modernWork("viva-engage", "Viva Engage (Yammer)"),
  "viva-insights": modernWork("viva-insights", "Viva Insights"),
  "viva-learning": modernWork("viva-learning", "Viva Learning"),
  "viva-connections": modernWork("viva-connections", "Viva Connections"),
  "entra-id-p1": security("entra-id-p1", "Microsoft Entra ID P1"),
  "entra-id-p2": security("entra-id-p2", "Microsoft Entra ID P2"),
  "defender-office-365": security("defender-office-365", "Microsoft Defender for Office 365"),
  "defender-endpoint": security("defender-endpoint", "Microsoft Defender for Endpoint"),
  "defender-identity": security("defender-identity", "Microsoft Defender for Identity"),
  "information-protection": security(
    "information-protection",
    "Microsoft Purview Information Protection",
    true,
  ),
};

/** The band a tenant with `paidSeats` falls in for this workload, or undefined when too small. */
export function seatBandFor(workload: WorkloadId, paidSeats: number): SeatBand | undefined {
  return workloadCatalog[workload].seatBands
    .map((id) => seatBands[id])
    .find(
      (band) => paidSeats >= band.minSeats && (band.maxSeats === undefined || paidSeats <= band.maxSeats),
    );
}
