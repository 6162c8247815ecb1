/**
 * How a call to a Microsoft API failed, in words safe to log and show: the OAuth error and AADSTS
 * code of a refused token (never the request, which carries the secret), a network failure's code.
 */

/** OAuth errors that a retry cannot fix: a wrong or expired secret, an app not consented in the tenant. */
const permanentOAuthErrors = new Set([
  "invalid_client",
  "unauthorized_client",
  "invalid_request",
  "invalid_grant",
  "invalid_scope",
  "access_denied",
  "consent_required",
]);

/** Why Entra ID issued no token: `permanent` when only a fixed credential or consent can help. */
export function describeTokenFailure(err: unknown): { permanent: boolean; detail: string } {
  const message = err instanceof Error ? err.message : String(err);
  const oauthCode = /^([a-z_]+):/.exec(message)?.[1];
  const aadsts = /AADSTS(\d+)/.exec(message)?.[0];
  const detail =
    [oauthCode, aadsts].filter(Boolean).join(", ") || (err instanceof Error ? err.name : "error");
  return { permanent: oauthCode !== undefined && permanentOAuthErrors.has(oauthCode), detail };
}

/** A fetch that threw: the timeout, or the message with the socket's error code. */
export function describeNetworkFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"))
    return `no answer within ${timeoutMs} ms`;
  const cause = err instanceof Error ? err.cause : undefined;
  const code =
    typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${message} (${code})` : message;
}
