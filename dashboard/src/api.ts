import { save } from "./save";

/**
 * The dashboard's only way to the service: the public `/api/v1` API with the partner's credential.
 * The API key lives in sessionStorage (gone with the tab, never in a URL). Errors are the API's
 * problem+json, kept whole so a form can show each `errors[].path` beside its field.
 */
const keyName = "partner-of-record.apiKey";

export const credential = {
  get: (): string | null => sessionStorage.getItem(keyName),
  set: (key: string): void => sessionStorage.setItem(keyName, key),
  clear: (): void => sessionStorage.removeItem(keyName),
};

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** The Entra ID session (entra.ts), when the partner signed in that way instead of with a key. */
let bearer: { token(): Promise<string> } | null = null;

export function useBearer(session: { token(): Promise<string> } | null): void {
  bearer = session;
}

/** The Authorization header: the API key when there is one, else an Entra ID access token. */
async function authorization(key: string | null): Promise<Record<string, string>> {
  if (key) return { authorization: `ApiKey ${key}` };
  if (bearer) return { authorization: `Bearer ${await bearer.token()}` };
  return {};
}

export async function api<T>(path: string, init: RequestInit = {}, key = credential.get()): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    ...init,
    headers: {
      ...(await authorization(key)),
      accept: "application/json",
      ...init.headers,
    },
  });
  const text = await response.text();
  const body: unknown = text === "" ? undefined : JSON.parse(text);
  if (!response.ok)
    throw new ApiError({ status: response.status, title: response.statusText, ...(body as object) });
  return body as T;
}

/** Every page of a list that answers `{items, continuationToken?}`. */
export async function all<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const page = await api<{ items: T[]; continuationToken?: string }>(
      `${path}${separator}pageSize=500${token ? `&continuationToken=${encodeURIComponent(token)}` : ""}`,
    );
    items.push(...page.items);
    token = page.continuationToken;
  } while (token);
  return items;
}

/** `POST` a JSON body, with a fresh Idempotency-Key (a retry of the same click is the caller's). */
export function post<T>(path: string, body: unknown): Promise<T> {
  return api<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
}

/**
 * A file the API makes (a CSV export, the PoE template), fetched with the partner's credential
 * (a plain link could not carry it) and offered as a download named `name`.
 */
export async function download(path: string, accept: string, name: string): Promise<void> {
  const response = await fetch(`/api/v1${path}`, {
    headers: { ...(await authorization(credential.get())), accept },
  });
  if (!response.ok) throw new ApiError({ status: response.status, title: `HTTP ${response.status}` });
  save(await response.blob(), name);
}
