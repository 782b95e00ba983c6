import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  SERVICE_ACCOUNT,
  validateServiceAccount,
  type ServiceAccount,
} from '../../../../core/api/kinds/service-account.ts';

const sa = (name: string, secrets?: ServiceAccount['secrets']): ServiceAccount => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'default' },
  ...(secrets ? { secrets } : {}),
});

describe('ServiceAccount (ValidateServiceAccount: metadata only)', () => {
  it.each<[string, string[]]>([
    ['robot', []],
    ['build.robot', []],
    [
      'Robot',
      [
        "metadata.name: Invalid value: \"Robot\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
  ])('%s', (name, expected) => {
    expect(validateServiceAccount(sa(name)).map(formatFieldError)).toEqual(expected);
  });

  it('prints the number of secrets and merges secrets by name in strategic merge patches', () => {
    expect(SERVICE_ACCOUNT.table.map((c) => c.name)).toEqual(['Name', 'Secrets', 'Age']);
    expect(SERVICE_ACCOUNT.table[1]?.cell(sa('robot', [{ name: 'a' }, { name: 'b' }]), 0)).toBe(2);
    expect(SERVICE_ACCOUNT.patch).toContainEqual({
      path: 'secrets',
      patchStrategy: 'merge',
      patchMergeKey: 'name',
    });
  });
});
