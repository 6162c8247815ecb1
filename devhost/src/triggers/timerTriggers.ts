import { CronExpressionParser } from "cron-parser";
import type { RpcInvocationResponse, RpcTypedData } from "../coreTypes";
import { parseTimeSpan } from "../hostConfig";
import type { InvocationInput, Invoker } from "../invoker";
import type { FunctionRegistry, RegisteredFunction } from "../registry";
import { resolveSettings } from "../appSettings";
import { writeOutputBindings } from "./outputBindings";

/**
 * Timer triggers (`app.timer`): NCRONTAB schedules with seconds, or a TimeSpan interval, in UTC.
 *
 * WEBSITE_TIME_ZONE / TZ-based schedules are not supported: every schedule is evaluated in UTC, which
 * is what the real host does unless WEBSITE_TIME_ZONE is set (and what Linux Consumption/Flex plans
 * require).
 *
 * Each timer is one sequential loop, so a timer never runs twice at once: occurrences that come due
 * while a run is still going are skipped (and logged), and the next occurrence is the first one
 * after the run ends.
 */

/** A parsed `schedule`: the first occurrence strictly after a given instant. */
export interface TimerSchedule {
  readonly kind: "cron" | "interval";
  /** The expression as written (after `%setting%` resolution). */
  readonly expression: string;
  next(after: Date): Date;
}

const cronFields = ["second", "minute", "hour", "day", "month", "day-of-week"] as const;

/**
 * Parses a timer `schedule` the way the host does: a 6-field NCRONTAB expression
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), else a TimeSpan `[d.]hh:mm:ss` meaning
 * "every interval" (the host accepts it on dedicated/Premium plans). Errors name the function.
 */
export function parseTimerSchedule(functionName: string, expression: string): TimerSchedule {
  const text = expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length === 1 && text.includes(":")) return intervalSchedule(functionName, text);
  if (fields.length === 5)
    throw new Error(
      `function "${functionName}": schedule "${text}" has 5 fields, but Azure Functions NCRONTAB expressions have 6: ` +
        `{second} {minute} {hour} {day} {month} {day-of-week} (e.g. "0 ${text}" runs at second 0)`,
    );
  if (fields.length !== 6)
    throw new Error(
      `function "${functionName}": schedule "${text}" is neither a 6-field NCRONTAB expression ` +
        `({second} {minute} {hour} {day} {month} {day-of-week}) nor a TimeSpan (hh:mm:ss)`,
    );
  return cronSchedule(functionName, text, fields);
}

function intervalSchedule(functionName: string, text: string): TimerSchedule {
  let intervalMs: number;
  try {
    intervalMs = parseTimeSpan(text);
  } catch (err) {
    throw new Error(`function "${functionName}": schedule ${(err as Error).message}`, { cause: err });
  }
  if (intervalMs <= 0)
    throw new Error(`function "${functionName}": schedule interval "${text}" must be positive`);
  return { kind: "interval", expression: text, next: (after) => new Date(after.getTime() + intervalMs) };
}

/**
 * NCRONTAB differs from the Vixie cron that cron-parser implements in one way that matters: when both
 * day and day-of-week are restricted, a day must match both (NCrontab checks day-of-week after
 * finding the day), not either. So that case walks the day-only schedule and keeps matching weekdays.
 * cron-parser extensions NCRONTAB lacks (`?`, `L`, `W`, `#`, `H`, `@daily`) are rejected.
 */
function cronSchedule(functionName: string, text: string, fields: string[]): TimerSchedule {
  fields.forEach((field, i) => checkCronField(functionName, text, i, field));
  const [second = "", minute = "", hour = "", day = "", month = "", dayOfWeek = ""] = fields;
  const parse = (expression: string, after: Date) =>
    CronExpressionParser.parse(expression, { currentDate: after, tz: "UTC" });
  let weekdays: Set<number> | undefined;
  try {
    parse(text, new Date(0));
    if (day !== "*" && dayOfWeek !== "*") {
      const values = parse(`0 0 0 * * ${dayOfWeek}`, new Date(0)).fields.dayOfWeek.values;
      weekdays = new Set(values.map((d) => Number(d) % 7));
    }
  } catch (err) {
    const reason = (err as Error).message;
    throw new Error(`function "${functionName}": schedule "${text}" is not valid NCRONTAB: ${reason}`, {
      cause: err,
    });
  }
  const dayOnly = `${second} ${minute} ${hour} ${day} ${month} *`;
  const next = (after: Date): Date => {
    if (!weekdays) return parse(text, after).next().toDate();
    let from = after;
    // Every day/day-of-week pair that can occur at all recurs within 28 years (≈ 340 monthly hops).
    for (let hops = 0; hops < 2_000; hops++) {
      const candidate = parse(dayOnly, from).next().toDate();
      if (weekdays.has(candidate.getUTCDay())) return candidate;
      from = endOfUtcDay(candidate);
    }
    throw new Error(
      `function "${functionName}": schedule "${text}" never occurs (day ${day} is never a ${dayOfWeek})`,
    );
  };
  return { kind: "cron", expression: text, next };
}

/** Items `*`, `n`, `a-b`, each optionally `/step`; month and day-of-week also take 3-letter names. */
function checkCronField(functionName: string, text: string, index: number, field: string): void {
  const value = index >= 4 ? "(?:\\d+|[A-Za-z]{3})" : "\\d+";
  const item = new RegExp(`^(?:\\*|${value}(?:-${value})?)(?:/\\d+)?$`);
  if (field.split(",").every((part) => item.test(part))) return;
  throw new Error(
    `function "${functionName}": schedule "${text}": the ${cronFields[index]} field "${field}" is not NCRONTAB ` +
      `(use *, numbers, ranges a-b, lists a,b and steps /n)`,
  );
}

function endOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 23, 59, 59, 999));
}

/** How late a run may start before the handler sees `isPastDue: true`. */
export const pastDueToleranceMs = 1_000;

/** Skipped occurrences counted one by one up to this many; past it the count is reported as "at least". */
const maxCountedSkips = 10_000;

/**
 * The occurrence to wait for after a run that started at `started` and ended at `ended`: the first
 * one after `started`, unless it came due during the run; those are skipped (never run late or twice).
 */
export function nextAfterRun(
  schedule: TimerSchedule,
  started: Date,
  ended: Date,
): { next: Date; skipped: number } {
  let next = schedule.next(started);
  let skipped = 0;
  while (next.getTime() <= ended.getTime()) {
    if (++skipped >= maxCountedSkips) return { next: schedule.next(ended), skipped };
    next = schedule.next(next);
  }
  return { next, skipped };
}

/** What the host sends in `ScheduleStatus` (the library camel-cases it into `scheduleStatus`). */
export interface ScheduleStatus {
  last: Date;
  next: Date;
  lastUpdated: Date;
}

/** .NET's `default(DateTime)`, which the host reports as `Last` before a timer's first run. */
const neverRun = new Date("0001-01-01T00:00:00.000Z");

/**
 * The timer trigger's input as the host serializes `TimerInfo`. `InvocationModel` applies
 * `toCamelCaseValue` to timer inputs, so the handler receives
 * `{ schedule: { adjustForDST }, scheduleStatus: { last, next, lastUpdated }, isPastDue }`.
 * As in the host, `Next` is the occurrence being run and `Last` the start of the previous run.
 */
export function timerInput(status: ScheduleStatus, isPastDue: boolean): RpcTypedData {
  return {
    json: JSON.stringify({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: status.last.toISOString(),
        Next: status.next.toISOString(),
        LastUpdated: status.lastUpdated.toISOString(),
      },
      IsPastDue: isPastDue,
    }),
  };
}

export interface TimerTriggerOptions {
  registry: FunctionRegistry;
  invoker: Invoker;
  log: (line: string) => void;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** App settings for `%setting%` in schedules and for output bindings; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Writes a successful invocation's outputs; defaults to `writeOutputBindings`. */
  onOutput?: (fn: RegisteredFunction, response: RpcInvocationResponse) => Promise<void>;
}

export interface RunningTriggers {
  /** Cancels pending occurrences and waits for runs in progress. */
  stop(): Promise<void>;
}

/**
 * Starts one loop per `timerTrigger` function. Every schedule is parsed first, so one bad schedule
 * fails the start (as the host refuses to start) before any timer runs.
 */
export function startTimerTriggers(options: TimerTriggerOptions): RunningTriggers {
  const env = options.env ?? process.env;
  const timers = options.registry.byTrigger("timerTrigger").map((fn) => {
    const expression = typeof fn.trigger.binding.schedule === "string" ? fn.trigger.binding.schedule : "";
    const schedule = parseTimerSchedule(fn.name, resolveSettings(expression, env, `function "${fn.name}"`));
    return new TimerLoop(fn, schedule, options, env);
  });
  const loops = timers.map((timer) => timer.run());
  return {
    async stop() {
      for (const timer of timers) timer.cancel();
      await Promise.all(loops);
    },
  };
}

interface RetryPolicy {
  maxRetryCount: number;
  delayMs(retryCount: number): number;
}

class TimerLoop {
  private readonly sleeper = new Sleeper();
  private readonly now: () => Date;
  private readonly retry: RetryPolicy | undefined;

  constructor(
    private readonly fn: RegisteredFunction,
    private readonly schedule: TimerSchedule,
    private readonly options: TimerTriggerOptions,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.now = options.now ?? (() => new Date());
    this.retry = retryPolicy(fn.metadata.retryOptions);
  }

  cancel(): void {
    this.sleeper.cancel();
  }

  /**
   * Never rejects. A failed run is logged and the schedule goes on; only a schedule that can no
   * longer produce an occurrence ends the loop (logged).
   */
  async run(): Promise<void> {
    try {
      const start = this.now();
      let status: ScheduleStatus = { last: neverRun, next: this.schedule.next(start), lastUpdated: neverRun };
      this.logNextOccurrences(start);
      if (this.fn.trigger.binding.runOnStartup === true) status = await this.occur(status, start);
      while (await this.waitUntil(status.next)) status = await this.occur(status, status.next);
    } catch (err) {
      this.options.log(`timer ${this.fn.name}: stopped after an error: ${(err as Error).message}`);
    }
  }

  /** Runs once for the occurrence due at `due`, then answers the status for the next one. */
  private async occur(status: ScheduleStatus, due: Date): Promise<ScheduleStatus> {
    const started = this.now();
    const isPastDue = started.getTime() - due.getTime() > pastDueToleranceMs;
    await this.invokeWithRetries(timerInput(status, isPastDue));
    const { next, skipped } = nextAfterRun(this.schedule, started, this.now());
    if (skipped > 0)
      this.options.log(
        `timer ${this.fn.name}: skipped ${skipped >= maxCountedSkips ? "at least " : ""}${skipped} occurrence(s) ` +
          `that came due while the run started at ${started.toISOString()} was still going; next at ${next.toISOString()}`,
      );
    return { last: started, next, lastUpdated: started };
  }

  /** The function-level `retry` policy (fixed delay or exponential back-off) applies to timers. */
  private async invokeWithRetries(data: RpcTypedData): Promise<void> {
    const retry = this.retry;
    for (let retryCount = 0; ; retryCount++) {
      const retryContext = retry ? { retryCount, maxRetryCount: retry.maxRetryCount } : undefined;
      if (await this.attempt(data, retryContext)) return;
      if (!retry || (retry.maxRetryCount >= 0 && retryCount >= retry.maxRetryCount)) return;
      await this.sleeper.sleep(retry.delayMs(retryCount + 1));
      if (this.sleeper.cancelled) return;
    }
  }

  /** One invocation and its outputs; false when either failed (failures are logged, never thrown). */
  private async attempt(data: RpcTypedData, retryContext: InvocationInput["retryContext"]): Promise<boolean> {
    try {
      const result = await this.options.invoker.invoke(this.fn, {
        inputData: [{ name: this.fn.trigger.name, data }],
        ...(retryContext ? { retryContext } : {}),
      });
      if (!result.ok) return false;
      await (this.options.onOutput ?? ((fn, r) => writeOutputBindings(fn, r, this.env)))(
        this.fn,
        result.response,
      );
      return true;
    } catch (err) {
      this.options.log(`timer ${this.fn.name}: ${(err as Error).message}`);
      return false;
    }
  }

  /**
   * Sleeps in slices of at most a minute and re-reads the clock, so a wait stays accurate to the
   * second across long schedules (setTimeout caps at ~24.8 days), clock changes and early wake-ups.
   */
  private async waitUntil(due: Date): Promise<boolean> {
    for (;;) {
      if (this.sleeper.cancelled) return false;
      const remaining = due.getTime() - this.now().getTime();
      if (remaining <= 0) return true;
      await this.sleeper.sleep(Math.min(remaining, 60_000));
    }
  }

  private logNextOccurrences(from: Date): void {
    const next: string[] = [];
    for (let at = from; next.length < 5;) {
      at = this.schedule.next(at);
      next.push(at.toISOString());
    }
    this.options.log(
      `timer ${this.fn.name}: schedule "${this.schedule.expression}" (UTC); next: ${next.join(", ")}`,
    );
  }
}

/**
 * `retryOptions` as `@azure/functions` registers them: `{ strategy, maxRetryCount, delayInterval,
 * minimumInterval, maximumInterval }` with durations as `{ seconds }`. Exponential back-off doubles
 * from the minimum up to the maximum (the host adds jitter; this host does not).
 */
function retryPolicy(options: unknown): RetryPolicy | undefined {
  if (typeof options !== "object" || options === null) return undefined;
  const o = options as Record<string, unknown>;
  const maxRetryCount = typeof o.maxRetryCount === "number" ? o.maxRetryCount : 0;
  const ms = (d: unknown) => {
    const seconds = typeof d === "object" && d !== null ? (d as { seconds?: unknown }).seconds : undefined;
    return typeof seconds === "number" ? seconds * 1000 : Number(seconds ?? 0) * 1000;
  };
  const named = typeof o.retryStrategy === "string" ? o.retryStrategy : o.strategy;
  const strategy = typeof named === "string" ? named.toLowerCase() : "fixeddelay";
  if (strategy === "exponentialbackoff") {
    const min = ms(o.minimumInterval);
    const max = Math.max(min, ms(o.maximumInterval));
    return { maxRetryCount, delayMs: (n) => Math.min(max, min * 2 ** (n - 1)) };
  }
  const delay = ms(o.delayInterval);
  return { maxRetryCount, delayMs: () => delay };
}

/**
 * Cancellable sleeps on unref'd timers (the HTTP server, not a pending trigger, keeps the host alive).
 * `wake()` ends the current sleeps early; `cancel()` ends them and every later one at once.
 */
export class Sleeper {
  private wakers = new Set<() => void>();
  cancelled = false;

  sleep(ms: number): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      this.wakers.add(done);
    });
  }

  wake(): void {
    for (const done of [...this.wakers]) done();
  }

  cancel(): void {
    this.cancelled = true;
    this.wake();
  }
}
