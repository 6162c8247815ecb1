/**
 * The app entry (package.json `main`): importing a function's file registers it with the Azure
 * Functions host.
 */
import "./http/health";
import "./http/api/admin";
import "./http/api/associations";
import "./http/api/associationActions";
import "./http/api/openapi";
import "./http/consent";
import "./queues/inboundEmail";
import "./http/api/webhook";
import "./queues/partnerWebhooks";
import "./orchestrators/associationLifecycle";
import "./activities/setStatus";
import "./activities/readStatus";
import "./activities/sendConsentEmail";
import "./activities/recordBaseline";
import "./activities/recordMilestones";
import "./http/api/usage";
import "./timers/usagePoll";
import "./queues/usagePoll";
import "./http/api/jobs";
import "./activities/finishJob";
import "./orchestrators/dporRequest";
import "./activities/sendDporEmail";
import "./activities/settleDpor";
import "./http/api/csp";
import "./orchestrators/cspImport";
import "./activities/readCspModel";
import "./activities/readCspCustomers";
import "./activities/importCspCustomers";
import "./activities/endMissingCspCustomers";
import "./timers/cspImport";
import "./http/api/palLinks";
import "./orchestrators/palBulkLink";
import "./activities/linkPalTenant";
import "./timers/palVerify";
import "./queues/palVerify";
import "./http/api/imports";
import "./orchestrators/csvImport";
import "./activities/importCsvRow";
import "./http/api/poeTemplate";
import "./http/api/pcs";
import "./timers/pcsSnapshot";
import "./http/api/forecast";
import "./http/api/opportunities";
import "./http/notFound";
