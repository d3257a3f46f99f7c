import { instanceHref, routeOf, webUiHref } from './paths';

describe('console routes', () => {
  const id = 'pipeline:cmp_1:deals:opportunity:opp_1';

  it('When an instance id is put in a link, then it is one encoded path segment that reads back as the same id', () => {
    expect(instanceHref(id)).toBe('/console/instances/pipeline%3Acmp_1%3Adeals%3Aopportunity%3Aopp_1');
    expect(routeOf(instanceHref(id))).toEqual({ page: 'instance', instanceId: id });
    expect(routeOf(instanceHref('a/b c'))).toEqual({ page: 'instance', instanceId: 'a/b c' });
  });

  it('When the path is anything else, then it is the home page', () => {
    for (const p of ['/console', '/console/', '/console/instances', '/console/instances/', '/console/instances/a/b', '/console/other', '/console/instances/%E0%A4%A']) {
      expect(routeOf(p)).toEqual({ page: 'home' });
    }
  });

  it("When the Web UI's address is known, then the link lists the runs of the instance's workflow id in its namespace", () => {
    const href = webUiHref({ url: 'http://127.0.0.1:8233/', namespace: 'default' }, id);
    expect(href).toBe(`http://127.0.0.1:8233/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${id}"`)}`);
    expect(new URL(href).searchParams.get('query')).toBe(`WorkflowId="${id}"`);
  });
});
