import { useEffect, useState } from 'preact/hooks';
import { BASE, routeOf, type Route } from './paths';

export { instanceHref, type Route } from './paths';

const CHANGED = 'propeller:navigate';

/** Go to a console path without a reload; back and forward come back through popstate. */
export function navigate(href: string): void {
  if (href === location.pathname + location.search) return;
  history.pushState(null, '', href);
  window.dispatchEvent(new Event(CHANGED));
  window.scrollTo(0, 0);
}

/** The current route, following pushState (navigate) and popstate (back, forward). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const follow = () => setRoute(routeOf(location.pathname));
    window.addEventListener('popstate', follow);
    window.addEventListener(CHANGED, follow);
    return () => {
      window.removeEventListener('popstate', follow);
      window.removeEventListener(CHANGED, follow);
    };
  }, []);
  return route;
}

/**
 * A click on a real <a href> of the console, taken over without a reload; a click with a modifier
 * (new tab, new window) or another button is the browser's.
 */
export function followLink(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement;
  if (a.target && a.target !== '_self') return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
