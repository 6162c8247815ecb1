import { app } from "@azure/functions";
import { poeTemplateFor } from "../../../src/app/poeTemplate";
import { partnerEndpoint } from "../../../src/http/partnerEndpoint";
import { renderPoeTemplatePdf } from "../../../src/integrations/pdf/poeTemplatePdf";
import { getPorts, type Ports } from "../../composition";

/**
 * `GET /api/v1/associations/{id}/poe-template`: the claim's proof-of-execution document as a PDF
 * to send the customer for signature (src/app/poeTemplate.ts, rendered by
 * src/integrations/pdf/poeTemplatePdf.ts).
 */
export function poeTemplateHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store, clock, settings } = ports();
    const template = await poeTemplateFor(
      { store, clock, poeMaxAgeMonths: settings.poeMaxAgeMonths },
      { partnerId: call.partnerId, associationId: call.request.params["id"] ?? "" },
    );
    return {
      status: 200,
      headers: {
        "content-type": "application/pdf",
        "content-disposition": `attachment; filename="${template.fileName}"`,
        "cache-control": "no-store",
      },
      body: await renderPoeTemplatePdf(template),
    };
  });
}

app.http("getPoeTemplate", {
  route: "api/v1/associations/{id}/poe-template",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: poeTemplateHandler(getPorts),
});
