/** The console's paths, pure so they are tested without a browser: route.ts follows them in the page. */

/** The console's pages live under /console; the API answers the single page for any path there. */
export const BASE = '/console';

/** An instance's page: its id (the readable instanceId) in one path segment. */
export const instanceHref = (instanceId: string): string => `${BASE}/instances/${encodeURIComponent(instanceId)}`;

export type Route = { page: 'home' } | { page: 'instance'; instanceId: string };

/** What a path names: an instance's page, else the home page (the board or the inbox). */
export function routeOf(pathname: string): Route {
  const m = /^\/console\/instances\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    try {
      return { page: 'instance', instanceId: decodeURIComponent(m[1]!) };
    } catch {
      return { page: 'home' };
    }
  }
  return { page: 'home' };
}

/** The Temporal Web UI's list of the runs of one workflow id: the instance's run, a click away (the API knows no run id). */
export const webUiHref = (ui: { url: string; namespace: string }, workflowId: string): string =>
  `${ui.url.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(ui.namespace)}/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`;
