import type { z } from "zod";
import type {
  associationPage,
  associationUsageResponse,
  associationViewResponse,
  forecastResponse,
  incentivesResponse,
  opportunitiesResponse,
  pcsCustomersResponse,
  pcsHistoryResponse,
  jobResponse,
  outboxPage,
  pcsResponse,
  signInOptionsResponse,
} from "../../src/http/responseSchemas";

/**
 * The API's answers as the dashboard reads them: the very zod schemas the OpenAPI document is
 * generated from, as types only (nothing of them is bundled), so a change to the API's shape fails
 * the dashboard's type check.
 */
export type AssociationView = z.infer<typeof associationPage>["items"][number];
export type Opportunity = z.infer<typeof opportunitiesResponse>["items"][number];
export type PcsScore = z.infer<typeof pcsResponse>;
export type AssociationDetail = z.infer<typeof associationViewResponse>;
export type AssociationUsage = z.infer<typeof associationUsageResponse>;
export type Incentives = z.infer<typeof incentivesResponse>;
export type IncentiveEntry = Incentives["items"][number];
export type PaymentForecast = z.infer<typeof forecastResponse>;
export type PcsHistory = z.infer<typeof pcsHistoryResponse>;
export type PcsCustomers = z.infer<typeof pcsCustomersResponse>;
export type SignInOptions = z.infer<typeof signInOptionsResponse>;
export type Job = z.infer<typeof jobResponse>;
export type JobItemResult = Job["results"][number];
export type OutboxEmail = z.infer<typeof outboxPage>["items"][number];
