import { useState } from "preact/hooks";
import { api, ApiError, credential } from "./api";

/**
 * Sign in with the partner's API key: checked against the API before it is kept (a wrong key is
 * refused here, beside the field, not later on every page).
 */
export function SignIn({ onSignedIn, onMicrosoft }: { onSignedIn: () => void; onMicrosoft?: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("/associations?pageSize=1", {}, key.trim());
      credential.set(key.trim());
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiError && err.problem.status === 401
          ? "This key opens nothing: check it, or ask your administrator for a new one."
          : `The service did not answer: ${err instanceof Error ? err.message : String(err)}`,
      );
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="sign-in">
      <h1>partner-of-record</h1>
      {onMicrosoft && (
        <p>
          <button type="button" onClick={onMicrosoft}>
            Sign in with Microsoft
          </button>
        </p>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <label for="api-key">Partner API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autocomplete="off"
          required
          value={key}
          aria-invalid={error !== null}
          aria-describedby={error ? "api-key-error" : undefined}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        {error && (
          <p id="api-key-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <p class="hint">
        <code>npm start</code> prints the demo partner's key. The key stays in this browser tab only.
      </p>
    </main>
  );
}
