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

export async function api<T>(path: string, init: RequestInit = {}, key = credential.get()): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    ...init,
    headers: {
      ...(key ? { authorization: `ApiKey ${key}` } : {}),
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
