import { useState } from "preact/hooks";
import { Associations } from "./Associations";
import { Detail } from "./Detail";
import { NewAssociation } from "./NewAssociation";
import { Incentives } from "./Incentives";
import { api, credential, useBearer } from "./api";
import type { EntraSession } from "./entra";
import type { SignInOptions } from "./types";
import { Loaded, useLoad } from "./ui/useLoad";
import { Imports } from "./Imports";
import { Outbox } from "./Outbox";
import { PalLinks } from "./PalLinks";
import { usePath } from "./router";
import { Score } from "./Score";
import { SignIn } from "./SignIn";
import { Today } from "./Today";

const pages = [
  { path: "/", name: "Today", render: () => <Today /> },
  { path: "/associations", name: "Associations", render: () => <Associations /> },
  { path: "/incentives", name: "Incentives", render: () => <Incentives /> },
  { path: "/score", name: "Score", render: () => <Score /> },
  { path: "/pal-links", name: "PAL links", render: () => <PalLinks /> },
  { path: "/imports", name: "Imports", render: () => <Imports /> },
  { path: "/outbox", name: "Outbox", render: () => <Outbox /> },
] as const;

/**
 * Entra ID sign-in when the service offers it: MSAL is loaded then only, and handles the redirect
 * back from Entra ID before the first page shows.
 */
async function startSignIn(): Promise<EntraSession | null> {
  const options = await api<SignInOptions>("/sign-in", {}, null);
  if (!options.entra) return null;
  const { startEntra } = await import("./entra");
  const session = await startEntra(options.entra);
  useBearer(session.account ? session : null);
  return session;
}

/** Signed out: the sign-in form. Signed in: the pages, by path (`/` is Today). */
export function App() {
  const { state } = useLoad(startSignIn, []);
  return (
    <Loaded state={state} what="sign-in">
      {(entra) => <SignedIn entra={entra} />}
    </Loaded>
  );
}

function SignedIn({ entra }: { entra: EntraSession | null }) {
  const [signedIn, setSignedIn] = useState(credential.get() !== null || entra?.account != null);
  const path = usePath();
  if (!signedIn)
    return (
      <SignIn
        onSignedIn={() => setSignedIn(true)}
        {...(entra ? { onMicrosoft: () => void entra.signIn() } : {})}
      />
    );
  const page = pages.find((p) => p.path === (path === "/dashboard" ? "/" : path));
  const detail = /^\/associations\/([^/]+)$/.exec(path)?.[1];
  return (
    <>
      <header class="bar">
        <span class="brand">partner-of-record</span>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a
              key={p.path}
              href={p.path}
              aria-current={p === page || (detail && p.path === "/associations") ? "page" : undefined}
            >
              {p.name}
            </a>
          ))}
        </nav>
        <button
          type="button"
          onClick={() => {
            credential.clear();
            useBearer(null);
            void entra?.signOut();
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {page ? (
          page.render()
        ) : detail === "new" ? (
          <NewAssociation />
        ) : detail ? (
          <Detail id={decodeURIComponent(detail)} />
        ) : (
          <>
            <h1>Page not found</h1>
            <p>
              There is no page at {path}. Go to <a href="/">Today</a>.
            </p>
          </>
        )}
      </main>
    </>
  );
}
