import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { withoutWorkflows, type Workflows } from "../src/app/lifecycle";
import type { z } from "zod";
import { NonRetriableError, NotFoundError, ValidationError } from "../src/domain/errors";
import { IllegalTransitionError } from "../src/domain/statusMachine";
import { durableWorkflows, withDurableClient } from "./workflows";

/**
 * One activity: its name, its input schema and its handler over injected ports. Registers it with
 * the Functions host (ports from `ports()`, built lazily at the first call) and returns `bind`, the
 * same activity over other ports (tests). Every activity gets the same edges:
 * - an input that does not fit the schema is a NonRetriableError naming each field;
 * - errors no retry can fix (bad data, a missing association, an illegal move) become
 *   NonRetriableError with the activity's name; transient ones pass through, so durable retries run.
 */
export interface ActivityDefinition<S extends z.ZodType, P, R> {
  name: string;
  input: S;
  /** `workflows`: the invocation's Durable client when `usesWorkflows`, else `withoutWorkflows`. */
  handler: (input: z.output<S>, ports: P, workflows: Workflows) => Promise<R>;
  ports: () => P;
  /** The activity starts or tells workflows (it creates DPOR requests): it gets a Durable client input. */
  usesWorkflows?: boolean;
}

export interface Activity<P, R> {
  name: string;
  bind(ports: P, workflows?: Workflows): (raw: unknown) => Promise<R>;
}

export function defineActivity<S extends z.ZodType, P, R>(
  definition: ActivityDefinition<S, P, R>,
): Activity<P, R> {
  const { name } = definition;
  const bind =
    (ports: P, workflows: Workflows = withoutWorkflows) =>
    async (raw: unknown) => {
      const parsed = definition.input.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
        throw new NonRetriableError(`${name}: ${new ValidationError(issues).message}`, {
          cause: parsed.error,
        });
      }
      try {
        return await definition.handler(parsed.data, ports, workflows);
      } catch (err) {
        if (
          err instanceof ValidationError ||
          err instanceof NotFoundError ||
          err instanceof IllegalTransitionError
        )
          throw new NonRetriableError(`${name}: ${err.message}`, { cause: err });
        throw err;
      }
    };
  df.app.activity(name, {
    handler: (raw: unknown, context: InvocationContext) =>
      bind(definition.ports(), definition.usesWorkflows ? durableWorkflows(context) : withoutWorkflows)(raw),
    ...(definition.usesWorkflows ? withDurableClient : {}),
  });
  return { name, bind };
}
