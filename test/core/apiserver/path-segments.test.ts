import { describe, expect, it } from 'vitest';
import { requestAttributes } from '../../../core/apiserver/authz/attributes.ts';
import { userInfo } from '../../../core/apiserver/authn/user.ts';
import { pathSegments } from '../../../core/apiserver/path-segments.ts';
import { parseRequest } from '../../../core/apiserver/request-info.ts';

describe('pathSegments', () => {
  it('splits a path into its non-empty segments, once for the same path twice in a row', () => {
    const first = pathSegments('/api/v1/namespaces/app/configmaps/settings');
    expect(first).toEqual(['api', 'v1', 'namespaces', 'app', 'configmaps', 'settings']);
    expect(Object.isFrozen(first)).toBe(true);
    // Authorization then routing split the same path: the second gets the first's array.
    expect(pathSegments('/api/v1/namespaces/app/configmaps/settings')).toBe(first);
    const other = pathSegments('//apis/apps/v1//deployments/');
    expect(other).toEqual(['apis', 'apps', 'v1', 'deployments']);
    expect(pathSegments('/api/v1/namespaces/app/configmaps/settings')).not.toBe(first);
  });

  it('gives authorization and routing the same reading of a path, whichever parses first', () => {
    const user = userInfo('alice', []);
    for (const path of [
      '/api/v1/namespaces/app/pods/web/status',
      '/apis/apps/v1/namespaces/app/deployments',
      '/api/v1/namespaces/app/finalize',
      '/api/v1/namespaces/app/pods/web/status/extra',
      '/apis/apps',
    ]) {
      const attributes = requestAttributes(user, 'GET', path, {});
      const parsed = parseRequest('GET', path, {}, user);
      const again = requestAttributes(user, 'GET', path, {});
      expect(again).toEqual(attributes);
      if (!parsed.ok) {
        expect(['/api/v1/namespaces/app/pods/web/status/extra', '/apis/apps']).toContain(path);
        continue;
      }
      expect(parsed.info.resource.resource).toBe(attributes.resource);
      // A namespace's own subresources name the namespace to the authorizer (upstream's
      // RequestInfo), while the registry sees a cluster-scoped object.
      if (attributes.resource !== 'namespaces') {
        expect(parsed.info.namespace).toBe(attributes.namespace);
      }
      expect(parsed.info.name ?? '').toBe(attributes.name);
      expect(parsed.info.subresource ?? '').toBe(attributes.subresource);
    }
  });
});
