import { associationTypes } from "../domain/associationTypes";
import { ConflictError } from "../domain/errors";
import { poeTemplateOf, type PoeTemplate } from "../domain/poeTemplate";
import type { Store } from "../store/store";

export interface PoeTemplatePorts {
  store: Pick<Store, "associations" | "partners">;
  clock: () => Date;
  poeMaxAgeMonths: number;
}

/**
 * The proof-of-execution document for one of the partner's CPOR claims, filled from the claim (the
 * partner sends it for signature and uploads the signed copy with `POST /poe`). Another partner's
 * association is a 404; an association that is not a CPOR claim a 409.
 */
export async function poeTemplateFor(
  ports: PoeTemplatePorts,
  key: { partnerId: string; associationId: string },
): Promise<PoeTemplate> {
  const { value: association } = await ports.store.associations.get(key.partnerId, key.associationId);
  if (association.request.type !== "cpor")
    throw new ConflictError(
      `a proof of execution is for CPOR claims; this association is a ${associationTypes[association.kind].name}`,
    );
  const partner = await ports.store.partners.get(key.partnerId);
  return poeTemplateOf({
    association,
    partnerName: partner.name,
    maxAgeMonths: ports.poeMaxAgeMonths,
    generatedAt: ports.clock().toISOString(),
  });
}
