import { useState } from "preact/hooks";
import { credential } from "./api";
import { SignIn } from "./SignIn";
import { Today } from "./Today";

/** Signed out: the sign-in form. Signed in: the pages, starting with Today. */
export function App() {
  const [signedIn, setSignedIn] = useState(credential.get() !== null);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return (
    <>
      <header class="bar">
        <span class="brand">partner-of-record</span>
        <nav aria-label="Pages">
          <a href="/" aria-current="page">
            Today
          </a>
        </nav>
        <button
          type="button"
          onClick={() => {
            credential.clear();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Today />
      </main>
    </>
  );
}
