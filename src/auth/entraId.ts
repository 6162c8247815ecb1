import type * as JoseModule from "jose" with { "resolution-mode": "import" };
import type { JWTPayload, JWTVerifyGetKey } from "jose" with { "resolution-mode": "import" };

/**
 * Partner identity from Microsoft Entra ID access tokens (`Authorization: Bearer <token>`), beside
 * partner API keys. The signature is checked against the issuer's published keys (JWKS, RS256 only,
 * so `alg: none` and HS256-signed-with-the-public-key never verify), then the pinned issuer and
 * audience, `exp`/`nbf` with a small clock tolerance, the tenant (`tid`) against an allow-list that
 * names the partner, and the token kind: an access token carries `scp` (delegated) or `roles`
 * (application); an ID token presented as an access token is refused.
 *
 * Multi-tenant trap: Entra's `common` key set signs every tenant's tokens, so a valid signature
 * proves nothing about who the caller is. Issuer, audience and the `tid` allow-list decide.
 *
 * Any failure answers `undefined`: the caller learns nothing about why. `onRejected`, when given,
 * receives a fixed reason and at most jose's error code and claim name, never token content.
 */
export interface EntraIdVerifierOptions {
  /** The exact `iss` expected, e.g. `https://login.microsoftonline.com/{tenant}/v2.0`. */
  issuer: string;
  /** The exact `aud` expected: the API's application (client) ID or App ID URI. */
  audience: string;
  /** The issuer's JSON Web Key Set, e.g. `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`. */
  jwksUri: string;
  /** Allowed tenants: `tid` (GUID) → the partner ID that tenant's callers act as. */
  tenantPartners: Record<string, string>;
  /** When set, this delegated scope (`scp`) or application role (`roles`) must be granted. */
  requiredScope?: string | undefined;
  /** Tolerance for `exp`, `nbf` and `iat` against this machine's clock. */
  clockToleranceSeconds?: number;
  /** Diagnostics for refused tokens (no secrets: a reason, and jose's code/claim name at most). */
  onRejected?: (rejection: EntraIdRejection) => void;
}

export type EntraIdRejectionReason =
  /** Not a plausible token (empty, oversized). */
  | "malformed"
  /** Signature, algorithm, key, issuer, audience or time checks failed (`code`/`claim` say which). */
  | "verification-failed"
  /** The key set could not be fetched or read (network, timeout, HTTP status, not a JWKS). */
  | "jwks-unavailable"
  | "tenant-not-allowed"
  /** An ID token, or a token without `scp`/`roles`. */
  | "not-an-access-token"
  | "missing-scope";

export interface EntraIdRejection {
  reason: EntraIdRejectionReason;
  /** jose's stable error code (e.g. `ERR_JWT_EXPIRED`), when jose refused the token. */
  code?: string;
  /** The claim jose found wrong (`iss`, `aud`, `nbf`, `exp`…), when it names one. */
  claim?: string;
}

export interface EntraIdVerifier {
  /** The partner the token's caller acts as, or undefined when the token opens nothing. */
  partnerFor(bearerToken: string): Promise<string | undefined>;
}

/** Real Entra tokens are a few KiB; anything far larger is refused before any work is done. */
const maxTokenLength = 16 * 1024;

/** ID-token-only claims: their presence marks a token that was never meant for an API. */
const idTokenClaims = ["nonce", "at_hash", "c_hash"] as const;

const jwksFailures = new Set(["ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID", "ERR_JOSE_GENERIC"]);

type Jose = typeof JoseModule;

/**
 * jose is ESM-only. A dynamic import loads it from CommonJS on every supported Node version and
 * type-checks under both the build's Node16 resolution and the tests' bundler resolution.
 */
let joseModule: Promise<Jose> | undefined;
function loadJose(): Promise<Jose> {
  joseModule ??= import("jose");
  return joseModule;
}

export function createEntraIdVerifier(options: EntraIdVerifierOptions): EntraIdVerifier {
  const { issuer, audience, requiredScope, clockToleranceSeconds = 60, onRejected } = options;
  const jwksUrl = new URL(options.jwksUri);
  // A Map, not the object: a `tid` such as "constructor" must never find an inherited property.
  const tenantPartners = new Map(
    Object.entries(options.tenantPartners).map(([tid, partnerId]) => [tid.toLowerCase(), partnerId]),
  );
  let jwks: JWTVerifyGetKey | undefined;

  const reject = (rejection: EntraIdRejection): undefined => {
    onRejected?.(rejection);
    return undefined;
  };

  return {
    async partnerFor(bearerToken) {
      if (!bearerToken || bearerToken.length > maxTokenLength) return reject({ reason: "malformed" });
      const jose = await loadJose();
      // One key set per verifier: jose caches the keys and refetches (with a cooldown) on an unknown kid.
      jwks ??= jose.createRemoteJWKSet(jwksUrl);
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(bearerToken, jwks, {
          issuer,
          audience,
          algorithms: ["RS256"],
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ["exp", "tid"],
        }));
      } catch (err) {
        return reject(verificationFailure(jose, err));
      }
      const tid = typeof payload["tid"] === "string" ? payload["tid"].toLowerCase() : undefined;
      const partnerId = tid === undefined ? undefined : tenantPartners.get(tid);
      if (partnerId === undefined) return reject({ reason: "tenant-not-allowed" });
      const granted = grantsOf(payload);
      if (!granted) return reject({ reason: "not-an-access-token" });
      if (requiredScope !== undefined && !granted.has(requiredScope))
        return reject({ reason: "missing-scope" });
      return partnerId;
    },
  };
}

/**
 * The scopes and app roles an access token grants, or undefined when it is not an access token:
 * Entra access tokens carry `ver` 1.0/2.0 and `scp` (space-separated) or `roles`; ID tokens carry
 * neither (or carry `roles` beside `nonce`/`at_hash`/`c_hash`, which access tokens never have).
 */
function grantsOf(payload: JWTPayload): Set<string> | undefined {
  if (payload["ver"] !== "1.0" && payload["ver"] !== "2.0") return undefined;
  if (idTokenClaims.some((claim) => claim in payload)) return undefined;
  const scp = payload["scp"];
  const roles = payload["roles"];
  const granted = new Set<string>();
  if (typeof scp === "string") for (const scope of scp.split(" ")) if (scope) granted.add(scope);
  if (Array.isArray(roles)) for (const role of roles) if (typeof role === "string" && role) granted.add(role);
  return granted.size > 0 ? granted : undefined;
}

function verificationFailure(jose: Jose, err: unknown): EntraIdRejection {
  // jose answers a failed fetch with the fetch's own error, a bad HTTP status with a generic one.
  if (!(err instanceof jose.errors.JOSEError)) return { reason: "jwks-unavailable" };
  if (jwksFailures.has(err.code)) return { reason: "jwks-unavailable", code: err.code };
  const claim = "claim" in err && typeof err.claim === "string" ? { claim: err.claim } : {};
  return { reason: "verification-failed", code: err.code, ...claim };
}

/** The token in an Authorization header, or undefined when the header is absent or another scheme. */
export function bearerTokenFrom(authorization: string | null): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match?.[1];
}
