import { useState } from "preact/hooks";
import { Associations } from "./Associations";
import { Detail } from "./Detail";
import { credential } from "./api";
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
  { path: "/score", name: "Score", render: () => <Score /> },
  { path: "/pal-links", name: "PAL links", render: () => <PalLinks /> },
  { path: "/imports", name: "Imports", render: () => <Imports /> },
  { path: "/outbox", name: "Outbox", render: () => <Outbox /> },
] as const;

/** Signed out: the sign-in form. Signed in: the pages, by path (`/` is Today). */
export function App() {
  const [signedIn, setSignedIn] = useState(credential.get() !== null);
  const path = usePath();
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
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
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        {page ? (
          page.render()
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
