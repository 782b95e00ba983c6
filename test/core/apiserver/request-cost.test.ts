import { describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse } from '../../../core/api/http.ts';
import { requestWork } from '../../../core/apiserver/request-cost.ts';

const req = (method: ApiRequest['method'], body?: unknown, rawBody?: string): ApiRequest => ({
  kind: 'http',
  method,
  path: '/api/v1/namespaces/default/configmaps',
  ...(body === undefined ? {} : { body }),
  ...(rawBody === undefined ? {} : { rawBody }),
});
const res = (body: unknown): ApiResponse => ({ status: 200, body });

/** An object whose JSON is exactly `bytes` long. */
const sized = (bytes: number): { v: string } => ({ v: 'x'.repeat(bytes - 8) });

describe('requestWork', () => {
  it.each([
    ['GET', undefined, sized(1024), 'api.get', 1],
    [
      'GET',
      undefined,
      { items: [sized(512), sized(512), sized(512)] },
      'api.list',
      (100 + 1536) / 1024,
    ],
    ['GET', undefined, { items: [] }, 'api.list', 100 / 1024],
    ['POST', sized(2048), sized(2048), 'api.create', 4],
    ['PUT', sized(1024), sized(1024), 'api.update', 2],
    ['PATCH', sized(512), sized(1536), 'api.patch', 2],
    ['DELETE', undefined, sized(1024), 'api.delete', 1],
  ] as const)('%s: %s', (method, body, response, work, units) => {
    expect(requestWork(req(method, body), res(response))).toEqual({ work, units });
  });

  it('sizes a request by its raw text when the front has it', () => {
    const r = requestWork(req('POST', sized(10), 'y'.repeat(2048)), res(undefined));
    expect(r).toEqual({ work: 'api.create', units: 2 });
  });

  it('estimates a list from its first item, times the items', () => {
    const items = [sized(1024), sized(8), sized(8), sized(8)];
    expect(requestWork(req('GET'), res({ items })).units).toBe((100 + 4 * 1024) / 1024);
  });
});
