import { describe, expect, it } from 'vitest';
import { requestAttributes } from '../../../../core/apiserver/authz/attributes.ts';
import { userInfo } from '../../../../core/apiserver/authn/user.ts';
import type { HttpMethod } from '../../../../core/api/http.ts';

const alice = userInfo('alice');

/** The request line parsed as upstream's RequestInfoFactory does (request_info_test.go cases). */
describe('request attributes', () => {
  const cases: [HttpMethod, string, Record<string, string>, string][] = [
    ['GET', '/api/v1/namespaces/ns/pods/p', {}, 'get ns /v1 pods p -'],
    ['GET', '/api/v1/namespaces/ns/pods/p/log', {}, 'get ns /v1 pods p log'],
    ['GET', '/api/v1/namespaces/ns/pods', {}, 'list ns /v1 pods - -'],
    ['GET', '/api/v1/namespaces/ns/pods', { watch: 'true' }, 'watch ns /v1 pods - -'],
    ['GET', '/api/v1/pods', { fieldSelector: 'metadata.name=p' }, 'list - /v1 pods p -'],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', {}, 'create ns apps/v1 deployments - -'],
    [
      'PUT',
      '/apis/apps/v1/namespaces/ns/deployments/d/scale',
      {},
      'update ns apps/v1 deployments d scale',
    ],
    ['DELETE', '/api/v1/namespaces/ns/pods', {}, 'deletecollection ns /v1 pods - -'],
    ['GET', '/api/v1/namespaces/ns', {}, 'get ns /v1 namespaces ns -'],
    ['PUT', '/api/v1/namespaces/ns/status', {}, 'update ns /v1 namespaces ns status'],
    ['PUT', '/api/v1/namespaces/ns/finalize', {}, 'update ns /v1 namespaces ns finalize'],
    ['GET', '/api/v1/nodes/n', {}, 'get - /v1 nodes n -'],
    ['GET', '/apis/apps/v1', {}, 'non-resource get /apis/apps/v1'],
    ['GET', '/api/v1', {}, 'non-resource get /api/v1'],
    ['GET', '/healthz', {}, 'non-resource get /healthz'],
  ];
  it.each(cases)('%s %s %j', (method, path, query, expected) => {
    const a = requestAttributes(alice, method, path, query);
    const seen = a.resourceRequest
      ? [
          a.verb,
          a.namespace || '-',
          `${a.apiGroup}/${a.apiVersion}`,
          a.resource,
          a.name || '-',
          a.subresource || '-',
        ].join(' ')
      : `non-resource ${a.verb} ${a.path}`;
    expect(seen).toBe(expected);
    expect(a.user).toBe(alice);
  });
});
