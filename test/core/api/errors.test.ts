import { describe, expect, it } from 'vitest';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  gone,
  hasReason,
  internalError,
  invalid,
  isStatus,
  methodNotSupported,
  notFound,
  serviceUnavailable,
  timeout,
  tooManyRequests,
  tooOldResourceVersion,
} from '../../../core/api/errors.ts';
import { fieldInvalid, fieldRequired } from '../../../core/api/field-error.ts';
import type { Status, StatusReason } from '../../../core/api/status-types.ts';

describe('Status builders', () => {
  const table: [string, Status, number, string, string][] = [
    ['notFound', notFound('pods', 'x'), 404, 'NotFound', 'pods "x" not found'],
    [
      'notFound grouped',
      notFound('replicasets.apps', 'web'),
      404,
      'NotFound',
      'replicasets.apps "web" not found',
    ],
    ['alreadyExists', alreadyExists('pods', 'x'), 409, 'AlreadyExists', 'pods "x" already exists'],
    [
      'conflict',
      conflict('pods', 'x'),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
    ],
    ['badRequest', badRequest('bad'), 400, 'BadRequest', 'bad'],
    ['gone', gone('gone'), 410, 'Gone', 'gone'],
    [
      'expired',
      expired('too old resource version: 5 (10)'),
      410,
      'Expired',
      'too old resource version: 5 (10)',
    ],
    [
      'tooOldResourceVersion',
      tooOldResourceVersion(5, 10),
      410,
      'Expired',
      'too old resource version: 5 (10)',
    ],
    [
      'forbidden',
      forbidden('pods', 'x', 'User "u" cannot delete resource "pods"'),
      403,
      'Forbidden',
      'pods "x" is forbidden: User "u" cannot delete resource "pods"',
    ],
    [
      'forbidden no name',
      forbidden('pods', '', 'nope'),
      403,
      'Forbidden',
      'pods is forbidden: nope',
    ],
    [
      'methodNotSupported',
      methodNotSupported('bindings', 'list'),
      405,
      'MethodNotAllowed',
      'list is not supported on resources of kind "bindings"',
    ],
    ['internalError', internalError('boom'), 500, 'InternalError', 'Internal error occurred: boom'],
    [
      'timeout',
      timeout('request did not complete within 60s'),
      504,
      'Timeout',
      'Timeout: request did not complete within 60s',
    ],
    ['tooManyRequests', tooManyRequests('slow down'), 429, 'TooManyRequests', 'slow down'],
    ['serviceUnavailable', serviceUnavailable('not ready'), 503, 'ServiceUnavailable', 'not ready'],
  ];
  it.each(table)('%s', (_name, s, code, reason, message) => {
    expect(s).toMatchObject({
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      code,
      reason,
      message,
    });
    expect(isStatus(s)).toBe(true);
    expect(hasReason(s, reason as StatusReason)).toBe(true);
  });

  it('details follow upstream: resource in kind, empty fields omitted', () => {
    expect(notFound('pods', 'x').details).toEqual({ name: 'x', kind: 'pods' });
    expect(notFound('replicasets.apps', 'w').details).toEqual({
      name: 'w',
      group: 'apps',
      kind: 'replicasets',
    });
  });

  it('invalid aggregates field errors and lists causes', () => {
    const one = invalid('Pod', 'x', [fieldRequired('spec.containers[0].name')]);
    expect(one).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Pod "x" is invalid: spec.containers[0].name: Required value',
    });
    const two = invalid('ReplicaSet.apps', 'web', [
      fieldInvalid('spec.replicas', -1, 'must be greater than or equal to 0'),
      fieldRequired('spec.selector'),
      fieldRequired('spec.selector'),
    ]);
    expect(two.message).toBe(
      'ReplicaSet.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.selector: Required value]',
    );
    expect(two.details).toEqual({
      name: 'web',
      group: 'apps',
      kind: 'ReplicaSet',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: -1: must be greater than or equal to 0',
          field: 'spec.replicas',
        },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' },
      ],
    });
    expect(invalid('Pod', 'x', []).message).toBe('Pod "x" is invalid');
  });

  it('isStatus rejects other objects', () => {
    expect(isStatus({ kind: 'Pod' })).toBe(false);
    expect(isStatus(null)).toBe(false);
    expect(isStatus(JSON.parse(JSON.stringify(notFound('pods', 'x'))))).toBe(true);
  });
});
