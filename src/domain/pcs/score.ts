import type { PcsSolutionArea } from "../associationTypes";
import { firstDayOfMonth } from "./calendar";
import type { PcsArea, PcsConfig, PcsMetric, PcsMetricId, PcsPart } from "./config";
import { customerFact, customersOf, periodsOf, type CustomerData, type Periods } from "./customerFacts";
import type { PcsInputs } from "./inputs";

/**
 * The Partner Capability Score, computed from the program year's rules (config) and the partner's
 * inputs. Pure: the same inputs always give the same score.
 *
 * A part's progress is its count over its `fullAt` (net customers per band, certifications, net
 * active-user growth, net revenue growth, net deployments; a negative net counts as 0); a metric
 * earns `max` × the sum of its parts' progress, at most `max`, rounded to hundredths; the area's total
 * is the sum of its metrics. Qualified today: total ≥ `minTotal` and every metric above 0; qualified:
 * qualified on a day of the current month or of the previous `keepMonths` months.
 */
export interface MetricScore {
  metric: PcsMetricId;
  points: number;
  max: number;
  /** The fewest units that earn the rest of the points, e.g. "2 more customers above 300 paid seats: +8 points". */
  next: string | null;
  /** Why the metric cannot be scored here, when it cannot. */
  note?: string;
}

export interface AreaScore {
  area: PcsSolutionArea;
  metrics: MetricScore[];
  total: number;
  qualified: boolean;
  /** Qualified on the scored day itself. */
  qualifiedToday: boolean;
  lastQualifiedOn: string | null;
}

export interface PcsScore {
  programYear: string;
  asOf: string;
  areas: AreaScore[];
}

export function scorePartner(config: PcsConfig, inputs: PcsInputs): PcsScore {
  const periods = periodsOf(inputs.today, config.windowMonths);
  const customers = customersOf(inputs);
  return {
    programYear: config.programYear,
    asOf: inputs.today,
    areas: config.areas.map((area) => scoreArea(config, area, inputs, customers, periods)),
  };
}

function scoreArea(
  config: PcsConfig,
  area: PcsArea,
  inputs: PcsInputs,
  customers: readonly CustomerData[],
  periods: Periods,
): AreaScore {
  const metrics = area.metrics.map((metric) => scoreMetric(area, metric, inputs, customers, periods));
  const total = round2(metrics.reduce((sum, m) => sum + m.points, 0));
  const qualifiedToday = total >= config.qualification.minTotal && metrics.every((m) => m.points > 0);
  const lastQualifiedOn = qualifiedToday ? inputs.today : (inputs.lastQualifiedOn[area.id] ?? null);
  const keptFrom = firstDayOfMonth(inputs.today, -config.qualification.keepMonths);
  return {
    area: area.id,
    metrics,
    total,
    qualified: lastQualifiedOn !== null && lastQualifiedOn >= keptFrom,
    qualifiedToday,
    lastQualifiedOn,
  };
}

function scoreMetric(
  area: PcsArea,
  metric: PcsMetric,
  inputs: PcsInputs,
  customers: readonly CustomerData[],
  periods: Periods,
): MetricScore {
  const progress = metric.parts.map((part) => partProgress(area, part, inputs, customers, periods));
  const fraction = progress.reduce((sum, p) => sum + p.fraction, 0);
  const points = round2(Math.min(metric.max, metric.max * fraction));
  const unmeasured = metric.parts.find((p) => p.kind === "not-measured");
  return {
    metric: metric.id,
    points,
    max: metric.max,
    next: nextStep(area, metric, points, progress),
    ...(unmeasured?.kind === "not-measured" ? { note: unmeasured.reason } : {}),
  };
}

interface PartProgress {
  part: PcsPart;
  /** The part's net count (below 0 counts as 0 toward points). */
  count: number;
  fraction: number;
}

function partProgress(
  area: PcsArea,
  part: PcsPart,
  inputs: PcsInputs,
  customers: readonly CustomerData[],
  periods: Periods,
): PartProgress {
  if (part.kind === "not-measured") return { part, count: 0, fraction: 0 };
  if (part.kind === "certifications") {
    const count = inputs.skilling[area.id]?.[part.level] ?? 0;
    return { part, count, fraction: count / part.fullAt };
  }
  const facts = customers.flatMap((c) => {
    const fact = customerFact(part, c, area.workloads, periods);
    return fact ? [fact] : [];
  });
  if (part.kind === "m365-customers") {
    let fraction = 0;
    for (const fact of facts)
      if (fact.band !== undefined && fact.units !== 0) fraction += fact.units / part.bands[fact.band]!.fullAt;
    const count = facts.reduce((sum, f) => sum + f.units, 0);
    return { part, count, fraction: Math.max(0, fraction) };
  }
  const count = round2(facts.reduce((sum, f) => sum + f.units, 0));
  return { part, count, fraction: Math.max(0, count) / part.fullAt };
}

/**
 * The fewest units that earn the metric's remaining points, over its parts (and, for customers by
 * seat band, over the bands); null at full points or when nothing here can earn them.
 */
function nextStep(
  area: PcsArea,
  metric: PcsMetric,
  points: number,
  progress: readonly PartProgress[],
): string | null {
  const remaining = round2(metric.max - points);
  if (remaining <= 0) return null;
  const steps = progress.flatMap((p) => stepsOf(area, metric, remaining, p));
  if (steps.length === 0) return null;
  const best = steps.reduce((a, b) => (b.units < a.units ? b : a));
  return `${best.text}: +${formatPoints(Math.min(remaining, best.gain))} points`;
}

interface Step {
  units: number;
  gain: number;
  text: string;
}

function stepsOf(area: PcsArea, metric: PcsMetric, remaining: number, progress: PartProgress): Step[] {
  const { part } = progress;
  /** Units needed for `remaining` points when one unit is worth max ÷ fullAt, plus any deficit to make up. */
  const needed = (fullAt: number, deficit = 0) => {
    const perUnit = metric.max / fullAt;
    const units = Math.ceil(remaining / perUnit - 1e-9) + deficit;
    return { units, gain: (units - deficit) * perUnit };
  };
  const deficit = Math.max(0, -Math.ceil(progress.count - 1e-9));
  switch (part.kind) {
    case "not-measured":
      return [];
    case "certifications": {
      const { units, gain } = needed(part.fullAt);
      return [{ units, gain, text: `${units} more ${part.level} certification${plural(units)}` }];
    }
    case "m365-customers":
      return Object.entries(part.bands).map(([band, rule]) => {
        const { units, gain } = needed(rule.fullAt, deficit);
        const unit = part.unit[band as keyof typeof part.unit] ?? "customers";
        return { units, gain, text: `${units} more ${unit}` };
      });
    case "azure-customers": {
      const { units, gain } = needed(part.fullAt, deficit);
      return [{ units, gain, text: `${units} more ${part.unit}` }];
    }
    case "m365-usage-growth": {
      const { units, gain } = needed(part.fullAt, Math.max(0, -progress.count));
      return [
        {
          units,
          gain,
          text: `${units.toLocaleString("en-US")} more active user${plural(units)} on customers' ${area.name} workloads`,
        },
      ];
    }
    case "azure-usage-growth": {
      const { units, gain } = needed(part.fullAt, Math.max(0, -progress.count));
      return [
        {
          units,
          gain,
          text: `$${units.toLocaleString("en-US")} more monthly Azure consumed revenue than a year earlier`,
        },
      ];
    }
    case "m365-deployments": {
      const { units, gain } = needed(part.fullAt, deficit);
      return [
        {
          units,
          gain,
          text: `${units} more deployment${plural(units)} (${part.minPaidSeats}+ paid seats, ${Math.round(part.minActiveShare * 100)}% active)`,
        },
      ];
    }
    case "azure-deployments": {
      const { units, gain } = needed(part.fullAt, deficit);
      return [
        {
          units,
          gain,
          text: `${units} more Azure service deployment${plural(units)} (not Virtual Machines)`,
        },
      ];
    }
  }
}

/** Per customer of the area: the metrics it counts toward, and why not for the others. */
export interface CustomerEligibility {
  customerTenantId: string;
  metrics: PcsMetricId[];
  reasons: { metric: PcsMetricId; reason: string }[];
}

export function customerEligibility(
  config: PcsConfig,
  areaId: PcsSolutionArea,
  inputs: PcsInputs,
): CustomerEligibility[] {
  const area = config.areas.find((a) => a.id === areaId)!;
  const periods = periodsOf(inputs.today, config.windowMonths);
  return customersOf(inputs).map((customer) => {
    const metrics: PcsMetricId[] = [];
    const reasons: { metric: PcsMetricId; reason: string }[] = [];
    for (const metric of area.metrics) {
      const facts = metric.parts.flatMap((part) => {
        const fact = customerFact(part, customer, area.workloads, periods);
        return fact ? [fact] : [];
      });
      if (facts.length === 0) continue; // certifications, not measured: no customer counts toward them
      if (facts.some((f) => f.units > 0)) metrics.push(metric.id);
      else
        for (const reason of new Set(facts.flatMap((f) => (f.reason ? [f.reason] : []))))
          reasons.push({ metric: metric.id, reason });
    }
    return { customerTenantId: customer.customerTenantId, metrics, reasons };
  });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function formatPoints(n: number): string {
  return String(round2(n));
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}
