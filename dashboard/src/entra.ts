import { createStandardPublicClientApplication, type AccountInfo } from "@azure/msal-browser";

/**
 * Entra ID sign-in for the dashboard (MSAL: authorization code with PKCE, by redirect), loaded only
 * when the service offers it (`GET /api/v1/sign-in`). Tokens stay in sessionStorage, like an API
 * key: gone with the tab. The API takes the access token as `Authorization: Bearer`.
 */
export interface EntraOptions {
  clientId: string;
  authority: string;
  scopes: string[];
}

export interface EntraSession {
  /** The signed-in account, once the redirect back from Entra ID is handled; null when signed out. */
  account: AccountInfo | null;
  signIn(): Promise<void>;
  /** A current access token for the API (renewed silently by MSAL). */
  token(): Promise<string>;
  signOut(): Promise<void>;
}

export async function startEntra(options: EntraOptions): Promise<EntraSession> {
  const client = await createStandardPublicClientApplication({
    auth: {
      clientId: options.clientId,
      authority: options.authority,
      knownAuthorities: [new URL(options.authority).host],
      redirectUri: `${location.origin}/`,
    },
    cache: { cacheLocation: "sessionStorage" },
  });
  const redirected = await client.handleRedirectPromise();
  const account = redirected?.account ?? client.getAllAccounts()[0] ?? null;
  if (account) client.setActiveAccount(account);
  return {
    account,
    signIn: () => client.loginRedirect({ scopes: options.scopes }),
    async token() {
      const active = client.getActiveAccount();
      if (!active) throw new Error("not signed in with Entra ID");
      return (await client.acquireTokenSilent({ scopes: options.scopes, account: active })).accessToken;
    },
    signOut: () => client.clearCache(),
  };
}
