import { useEffect, useState } from "preact/hooks";

/**
 * The dashboard's pages are paths (`/`, `/associations`, `/score`), served by the function app as
 * the same HTML: the browser routes them with the History API, so a page can be bookmarked and the
 * back button works. Links are ordinary `<a href>`: clicks on same-origin links are taken over here.
 */
export function navigate(path: string): void {
  if (path === location.pathname + location.search) return;
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const changed = () => setPath(location.pathname);
    const clicked = (event: MouseEvent) => {
      const link = (event.target as Element | null)?.closest?.("a");
      if (
        !link ||
        event.defaultPrevented ||
        event.button !== 0 ||
        event.metaKey ||
        event.ctrlKey ||
        event.shiftKey
      )
        return;
      const url = new URL(link.href, location.href);
      if (
        url.origin !== location.origin ||
        link.target ||
        link.hasAttribute("download") ||
        url.pathname.startsWith("/api/")
      )
        return;
      event.preventDefault();
      navigate(url.pathname + url.search);
    };
    addEventListener("popstate", changed);
    addEventListener("click", clicked);
    return () => {
      removeEventListener("popstate", changed);
      removeEventListener("click", clicked);
    };
  }, []);
  return path;
}
