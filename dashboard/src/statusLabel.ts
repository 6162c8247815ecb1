/**
 * Where an association stands, in Partner Center's words with the service's status beside them
 * when the two differ ("Under review (Dispute)"); one word when they are the same ("Approved").
 */
export function statusLabel(a: { partnerCenterStatus: string; status: string }): string {
  return a.partnerCenterStatus === a.status ? a.status : `${a.partnerCenterStatus} (${a.status})`;
}
