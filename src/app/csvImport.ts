import {
  importJobInput,
  importJobRow,
  parseImportCsv,
  type ImportJobRow,
  type ImportRow,
} from "../domain/csvImport";
import { TransientDependencyError } from "../domain/errors";
import type { Job, JobResult } from "../domain/job";
import { createAssociation } from "./createAssociation";
import { failureOutcome, jobItem, recordJobResult, startJob } from "./jobs";
import type { Workflows } from "./lifecycle";
import { derivedId } from "./operationIds";
import { linkPal, type PalPorts } from "./palLinks";

/**
 * `POST /api/v1/imports` (text/csv): DPOR requests, TPOR records and PAL links in bulk, one job with
 * a result per row. The file is parsed and checked at once (src/domain/csvImport.ts): a file it
 * cannot take is a 400 and starts nothing; each invalid row is recorded `invalid` with its line and
 * fields before the job starts, and creates nothing; the valid rows go to the job's orchestration
 * (`csvImport`) as the job's items, PAL secrets sealed for the job.
 */
export const csvImportOrchestratorName = "csvImport";

/** What a job's sealed PAL secret is bound to. */
export const importSealContext = (partnerId: string, jobId: string) => `csv-import:${partnerId}:${jobId}`;

export async function startCsvImport(
  ports: PalPorts,
  workflows: Workflows,
  input: { partnerId: string; jobId: string; csv: string },
): Promise<Job> {
  const partner = await ports.store.partners.get(input.partnerId);
  const parsed = parseImportCsv(input.csv, { partnerLocationId: partner.partnerLocationIds[0] });
  const rows = parsed.rows.map((row) => sealed(ports, input, row));
  for (const row of parsed.invalid)
    await recordJobResult(ports, input.jobId, {
      index: row.index,
      key: `line ${row.line}`,
      line: row.line,
      outcome: "invalid",
      errors: row.errors.slice(0, 50),
    });
  return startJob(ports, workflows, {
    partnerId: input.partnerId,
    id: input.jobId,
    kind: "import",
    total: parsed.rows.length + parsed.invalid.length,
    orchestrator: csvImportOrchestratorName,
    items: rows,
    input: importJobInput.parse({ partnerId: input.partnerId, jobId: input.jobId, count: rows.length }),
  });
}

function sealed(ports: PalPorts, job: { partnerId: string; jobId: string }, row: ImportRow): ImportJobRow {
  if (row.type !== "pal") return row;
  const { identity, ...rest } = row.request;
  return {
    ...row,
    request: {
      ...rest,
      identity: {
        clientId: identity.clientId,
        sealedSecret: ports.secrets.seal(identity.clientSecret, importSealContext(job.partnerId, job.jobId)),
      },
    },
  };
}

/**
 * Imports one valid row and records its result, once (the association's ID derives from the job
 * and the line, so a retried activity finds what it made): `created` (DPOR, TPOR) or `linked`
 * (PAL); `invalid` for a rule only the service can check (a location ID not the partner's);
 * `failed` with the reason for a conflict (`existingAssociationId` in the note when it is the
 * partner's own) or a refusal at Azure. Storage failures throw, so the activity is retried.
 */
export async function importRow(
  ports: PalPorts,
  workflows: Workflows,
  job: { partnerId: string; jobId: string; item: number },
): Promise<JobResult> {
  const row = await jobItem(ports, job.jobId, job.item, importJobRow);
  const id = derivedId("csv-import", job.jobId, String(row.line));
  const base = {
    index: row.index,
    key: `line ${row.line}`,
    line: row.line,
    customerTenantId: row.request.customerTenantId,
  };
  let result: JobResult;
  try {
    if (row.type === "pal") {
      const { identity, ...rest } = row.request;
      const clientSecret = ports.secrets.open(
        identity.sealedSecret,
        importSealContext(job.partnerId, job.jobId),
      );
      const link = await linkPal(ports, workflows, {
        ...rest,
        partnerId: job.partnerId,
        id,
        identity: { clientId: identity.clientId, clientSecret },
      });
      result = { ...base, outcome: "linked", associationId: link.id };
    } else {
      const created = await createAssociation(ports, workflows, {
        partnerId: job.partnerId,
        id,
        request: row.request,
      });
      result = { ...base, outcome: "created", associationId: created.id };
    }
  } catch (err) {
    // A DPOR or TPOR that could not reach storage or the workflow engine is retried whole.
    if (row.type !== "pal" && err instanceof TransientDependencyError) throw err;
    result = { ...base, ...failureOutcome(err) };
  }
  await recordJobResult(ports, job.jobId, result);
  return result;
}
