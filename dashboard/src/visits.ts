/**
 * "Since the last visit": the start of this browser's previous visit, kept in localStorage; a visit
 * is a tab session, so reloading the page keeps the same point (sessionStorage) until the tab is
 * closed. The first visit looks back `firstLookBackDays`.
 */
const lastVisitKey = "partner-of-record.lastVisit";
const sinceKey = "partner-of-record.since";
const firstLookBackDays = 30;

export function sinceLastVisit(now: Date): string {
  const kept = sessionStorage.getItem(sinceKey);
  if (kept) return kept;
  const since =
    localStorage.getItem(lastVisitKey) ??
    new Date(now.getTime() - firstLookBackDays * 86_400_000).toISOString();
  sessionStorage.setItem(sinceKey, since);
  localStorage.setItem(lastVisitKey, now.toISOString());
  return since;
}
