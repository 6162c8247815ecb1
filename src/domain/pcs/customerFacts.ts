import { associationTypes, type AssociationKind } from "../associationTypes";
import { seatBands, type WorkloadId } from "../workloads";
import { addMonths, monthOf, monthsEnding } from "./calendar";
import type { PcsBand, PcsPart } from "./config";
import type { PcsAssociation, PcsInputs, PcsReading } from "./inputs";

/**
 * What one customer contributes to one part of a metric, and why not where it does not: the single
 * source of both the points (summed over customers) and the customer-eligibility view. `units` is
 * what the customer adds to the part's count (customers, deployments, active users, dollars; negative
 * for a customer lost in the window); `reason` says why it does not count (absent when it does).
 */
export interface CustomerFact {
  units: number;
  /** For parts with seat bands: the band the customer counts in. */
  band?: PcsBand;
  reason?: string;
}

/** The days and months the facts are measured on. */
export interface Periods {
  today: string;
  /** Net customer adds count associations that began on or after this day. */
  windowStart: string;
  /** A year before today. */
  yearAgo: string;
  /** The last full month, and the same month a year earlier. */
  lastMonth: string;
  lastMonthYearAgo: string;
}

export function periodsOf(today: string, windowMonths: number): Periods {
  return {
    today,
    windowStart: addMonths(today, -windowMonths),
    yearAgo: addMonths(today, -12),
    lastMonth: monthOf(today, -1),
    lastMonthYearAgo: monthOf(today, -13),
  };
}

/** One customer's data, as the facts need it. */
export interface CustomerData {
  customerTenantId: string;
  associations: readonly PcsAssociation[];
  readings: readonly PcsReading[];
  /** Month → revenue rows of that month. */
  revenue: ReadonlyMap<string, readonly { amount: number; service?: string }[]>;
}

export function customerFact(
  part: PcsPart,
  customer: CustomerData,
  workloads: readonly WorkloadId[],
  periods: Periods,
): CustomerFact | undefined {
  switch (part.kind) {
    case "m365-customers":
      return m365CustomerFact(part, customer, workloads, periods);
    case "azure-customers":
      return azureCustomerFact(part, customer, periods);
    case "m365-usage-growth":
      return m365GrowthFact(part.kinds, customer, workloads, periods);
    case "azure-usage-growth":
      return azureGrowthFact(part.kinds, customer, periods);
    case "m365-deployments":
      return m365DeploymentFact(part, customer, workloads, periods);
    case "azure-deployments":
      return azureDeploymentFact(part, customer, periods);
    case "certifications":
    case "not-measured":
      return undefined;
  }
}

/** Associations of these kinds counting on `day`. */
function countingOn(
  associations: readonly PcsAssociation[],
  kinds: readonly AssociationKind[],
  day: string,
): PcsAssociation[] {
  return associations.filter(
    (a) => kinds.includes(a.kind) && a.since <= day && (a.until === undefined || a.until > day),
  );
}

function kindNames(kinds: readonly AssociationKind[]): string {
  const names = kinds.map((k) => shortName(k));
  return [...new Set(names)].join(", ");
}

function shortName(kind: AssociationKind): string {
  return associationTypes[kind].name
    .split(" – ")[0]!
    .replace("Usage recognition (non-incentivized CPOR)", "CPOR");
}

const noAssociation = (kinds: readonly AssociationKind[]) =>
  `no association of a counting type (${kindNames(kinds)})`;

/** The tenant's size: the largest paid seats among the area's workloads, as of `day`. */
function paidSeatsOn(readings: readonly PcsReading[], workloads: readonly WorkloadId[], day: string) {
  const latest = latestByWorkload(readings, workloads, day);
  return latest.length === 0 ? undefined : Math.max(...latest.map((r) => r.paidSeats));
}

/** Per workload of the area, its latest reading on or before `day`. */
function latestByWorkload(
  readings: readonly PcsReading[],
  workloads: readonly WorkloadId[],
  day: string,
): PcsReading[] {
  const latest = new Map<WorkloadId, PcsReading>();
  for (const r of readings)
    if (workloads.includes(r.workload) && r.reportRefreshDate <= day) latest.set(r.workload, r);
  return [...latest.values()];
}

function inBand(band: PcsBand, seats: number | undefined): boolean {
  if (band === "any") return true;
  if (seats === undefined) return false;
  const range = seatBands[band];
  return seats >= range.minSeats && (range.maxSeats === undefined || seats <= range.maxSeats);
}

function bandLabel(band: PcsBand): string {
  if (band === "any") return "any size";
  const range = seatBands[band];
  return range.maxSeats === undefined
    ? `${range.minSeats}+ paid seats`
    : `${range.minSeats}-${range.maxSeats} paid seats`;
}

/**
 * Net customer adds by paid seats: the customer counts (+1 in its band) when an association of its
 * band's kinds began in the window and counts today; it counts against (-1) when its associations of
 * the part's kinds all stopped in the window after beginning before it.
 */
function m365CustomerFact(
  part: Extract<PcsPart, { kind: "m365-customers" }>,
  customer: CustomerData,
  workloads: readonly WorkloadId[],
  periods: Periods,
): CustomerFact {
  const bands = Object.entries(part.bands) as [PcsBand, { fullAt: number; kinds: AssociationKind[] }][];
  const allKinds = [...new Set(bands.flatMap(([, rule]) => rule.kinds))];
  const seats = paidSeatsOn(customer.readings, workloads, periods.today);
  const mine = customer.associations.filter((a) => allKinds.includes(a.kind));
  if (mine.length === 0) return { units: 0, reason: noAssociation(allKinds) };
  const now = countingOn(mine, allKinds, periods.today);
  if (now.length === 0) {
    const began = mine.map((a) => a.since).reduce((x, y) => (x < y ? x : y));
    const ended = mine.map((a) => a.until ?? periods.today).reduce((x, y) => (x > y ? x : y));
    const band = bands.find(([b]) => inBand(b, seats))?.[0];
    if (band && began < periods.windowStart && ended >= periods.windowStart)
      return {
        units: -1,
        band,
        reason: `lost: its association stopped counting on ${ended} (counts against net adds)`,
      };
    return { units: 0, reason: `its association stopped counting on ${ended}` };
  }
  const sized = bands
    .filter(([b]) => b !== "any")
    .map(([b]) => seatBands[b as Exclude<PcsBand, "any">].minSeats);
  if (seats === undefined && sized.length === bands.length)
    return { units: 0, reason: "paid seats unknown: no usage reading yet" };
  if (seats !== undefined && sized.length === bands.length && seats < Math.min(...sized))
    return {
      units: 0,
      reason: `below the seat band (${seats} paid seats; counting starts at ${Math.min(...sized)})`,
    };
  const fitting = bands.filter(
    ([b, rule]) => inBand(b, seats) && countingOn(now, rule.kinds, periods.today).length > 0,
  );
  if (fitting.length === 0) {
    const wanted = bands
      .filter(([b]) => inBand(b, seats))
      .map(([b, rule]) => `${bandLabel(b)} count ${kindNames(rule.kinds)}`)
      .join("; ");
    return {
      units: 0,
      reason: `below the seat band for its association type (${seats ?? "unknown"} paid seats: ${wanted || "no band"})`,
    };
  }
  const [band, rule] = fitting[0]!;
  const since = countingOn(now, rule.kinds, periods.today)
    .map((a) => a.since)
    .reduce((a, b) => (a < b ? a : b));
  if (since < periods.windowStart)
    return {
      units: 0,
      band,
      reason: `association older than the window (counting since ${since}; net adds count from ${periods.windowStart})`,
    };
  return { units: 1, band };
}

function revenueIn(customer: CustomerData, months: readonly string[]): number {
  const total = months.reduce(
    (sum, m) => sum + (customer.revenue.get(m) ?? []).reduce((s, r) => s + r.amount, 0),
    0,
  );
  return total;
}

function dollars(amount: number): string {
  return `$${(Math.round(amount * 100) / 100).toLocaleString("en-US")}`;
}

/**
 * Net customer adds by Azure consumed revenue: eligible with a counting association and revenue of at
 * least `minRevenue` (last month, or the 12-month average); +1 when eligible now and not a year
 * earlier, -1 the other way round.
 */
function azureCustomerFact(
  part: Extract<PcsPart, { kind: "azure-customers" }>,
  customer: CustomerData,
  periods: Periods,
): CustomerFact {
  const measure = (month: string) =>
    part.measure === "month"
      ? revenueIn(customer, [month])
      : revenueIn(customer, monthsEnding(month, 12)) / 12;
  const eligible = (month: string) =>
    countingOn(customer.associations, part.kinds, `${month}-28`).length > 0 &&
    measure(month) >= part.minRevenue;
  const now = eligible(periods.lastMonth);
  const before = eligible(periods.lastMonthYearAgo);
  if (now && !before) return { units: 1 };
  if (!now && before)
    return {
      units: -1,
      reason: `lost: eligible in ${periods.lastMonthYearAgo}, not in ${periods.lastMonth}`,
    };
  if (now)
    return {
      units: 0,
      reason: `already eligible a year earlier (${periods.lastMonthYearAgo}): not a net add`,
    };
  if (countingOn(customer.associations, part.kinds, periods.today).length === 0)
    return { units: 0, reason: noAssociation(part.kinds) };
  const what =
    part.measure === "month"
      ? `in ${periods.lastMonth}`
      : `a month on average over the 12 months to ${periods.lastMonth}`;
  return {
    units: 0,
    reason: `below the revenue line (${dollars(measure(periods.lastMonth))} Azure consumed revenue ${what}; ${dollars(part.minRevenue)} needed)`,
  };
}

/**
 * Usage growth counts only from the association date: per workload of the area, the active users of
 * the latest reading minus those of the first reading on or after the later of the association's
 * start and the window's start, summed (net: a fall counts against).
 */
function m365GrowthFact(
  kinds: readonly AssociationKind[],
  customer: CustomerData,
  workloads: readonly WorkloadId[],
  periods: Periods,
): CustomerFact {
  const now = countingOn(customer.associations, kinds, periods.today);
  if (now.length === 0) return { units: 0, reason: noAssociation(kinds) };
  const since = now.map((a) => a.since).reduce((a, b) => (a < b ? a : b));
  const from = since > periods.yearAgo ? since : periods.yearAgo;
  let growth = 0;
  let measured = false;
  for (const workload of workloads) {
    const series = customer.readings.filter((r) => r.workload === workload && r.reportRefreshDate >= from);
    if (series.length < 2) continue;
    measured = true;
    growth += series[series.length - 1]!.activeUsers - series[0]!.activeUsers;
  }
  if (!measured)
    return { units: 0, reason: `below the usage line (fewer than two usage readings since ${from})` };
  if (growth <= 0)
    return {
      units: growth,
      reason: `below the usage line (active users ${growth === 0 ? "unchanged" : `down ${-growth}`} since ${from})`,
    };
  return { units: growth };
}

function azureGrowthFact(
  kinds: readonly AssociationKind[],
  customer: CustomerData,
  periods: Periods,
): CustomerFact {
  if (countingOn(customer.associations, kinds, periods.today).length === 0)
    return { units: 0, reason: noAssociation(kinds) };
  const now = revenueIn(customer, [periods.lastMonth]);
  const before = revenueIn(customer, [periods.lastMonthYearAgo]);
  const growth = Math.round((now - before) * 100) / 100;
  if (growth <= 0)
    return {
      units: growth,
      reason: `below the usage line (Azure consumed revenue ${dollars(now)} in ${periods.lastMonth}, ${dollars(before)} in ${periods.lastMonthYearAgo})`,
    };
  return { units: growth };
}

/** A deployment: a counting association and an area workload above the seat and usage lines. */
function m365DeploymentFact(
  part: Extract<PcsPart, { kind: "m365-deployments" }>,
  customer: CustomerData,
  workloads: readonly WorkloadId[],
  periods: Periods,
): CustomerFact {
  const deployedOn = (day: string) =>
    countingOn(customer.associations, part.kinds, day).length > 0 &&
    latestByWorkload(customer.readings, workloads, day).some(
      (r) => r.paidSeats >= part.minPaidSeats && r.activeUsers / r.paidSeats >= part.minActiveShare,
    );
  const now = deployedOn(periods.today);
  const before = deployedOn(periods.yearAgo);
  if (now && !before) return { units: 1 };
  if (!now && before) return { units: -1, reason: `lost: deployed on ${periods.yearAgo}, not today` };
  if (now)
    return { units: 0, reason: `already deployed a year earlier (${periods.yearAgo}): not a net deployment` };
  if (countingOn(customer.associations, part.kinds, periods.today).length === 0)
    return { units: 0, reason: noAssociation(part.kinds) };
  const latest = latestByWorkload(customer.readings, workloads, periods.today);
  if (latest.length === 0) return { units: 0, reason: "paid seats unknown: no usage reading yet" };
  const seats = Math.max(...latest.map((r) => r.paidSeats));
  if (seats < part.minPaidSeats)
    return {
      units: 0,
      reason: `below the seat band (${seats} paid seats; a deployment needs ${part.minPaidSeats})`,
    };
  const best = Math.max(
    ...latest.filter((r) => r.paidSeats >= part.minPaidSeats).map((r) => r.activeUsers / r.paidSeats),
  );
  return {
    units: 0,
    reason: `below the usage line (${Math.floor(best * 100)}% of paid seats active; a deployment needs ${Math.round(part.minActiveShare * 100)}%)`,
  };
}

/** Distinct Azure services (Virtual Machines excluded) with revenue in the month. */
function servicesIn(customer: CustomerData, month: string, excluded: readonly string[]): Set<string> {
  const services = new Set<string>();
  for (const row of customer.revenue.get(month) ?? [])
    if (
      row.service !== undefined &&
      row.amount > 0 &&
      !excluded.some((e) => row.service!.toLowerCase().includes(e.toLowerCase()))
    )
      services.add(row.service.toLowerCase());
  return services;
}

function azureDeploymentFact(
  part: Extract<PcsPart, { kind: "azure-deployments" }>,
  customer: CustomerData,
  periods: Periods,
): CustomerFact {
  if (countingOn(customer.associations, part.kinds, periods.today).length === 0)
    return { units: 0, reason: noAssociation(part.kinds) };
  const now = servicesIn(customer, periods.lastMonth, part.excludedServices).size;
  const before = servicesIn(customer, periods.lastMonthYearAgo, part.excludedServices).size;
  const net = now - before;
  if (net > 0) return { units: net };
  return {
    units: net,
    reason: `below the usage line (${now} Azure services with revenue by service in ${periods.lastMonth}, ${before} in ${periods.lastMonthYearAgo}; Virtual Machines do not count)`,
  };
}

/** Every customer the partner has an association with or reported revenue for, with its data. */
export function customersOf(inputs: PcsInputs): CustomerData[] {
  const tenants = new Set<string>();
  for (const a of inputs.associations) tenants.add(a.customerTenantId.toLowerCase());
  for (const r of inputs.revenue) tenants.add(r.customerTenantId.toLowerCase());
  return [...tenants].sort().map((tenant) => {
    const revenue = new Map<string, { amount: number; service?: string }[]>();
    for (const r of inputs.revenue)
      if (r.customerTenantId.toLowerCase() === tenant)
        revenue.set(r.month, [
          ...(revenue.get(r.month) ?? []),
          { amount: r.amount, ...(r.service ? { service: r.service } : {}) },
        ]);
    return {
      customerTenantId: tenant,
      associations: inputs.associations.filter((a) => a.customerTenantId.toLowerCase() === tenant),
      readings: inputs.readings.get(tenant) ?? [],
      revenue,
    };
  });
}
