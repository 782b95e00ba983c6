import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  POD_TEMPLATE,
  validatePodTemplate,
  type PodTemplate,
} from '../../../../core/api/kinds/pod-template.ts';

const pt = (template: unknown): PodTemplate =>
  POD_TEMPLATE.defaults({
    apiVersion: 'v1',
    kind: 'PodTemplate',
    metadata: { name: 'tpl', namespace: 'default' },
    template,
  } as PodTemplate);

describe('PodTemplate validation (ValidatePodTemplate / ValidatePodTemplateSpec)', () => {
  it.each<[string, unknown, string[]]>([
    [
      'a template with one container',
      { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      [],
    ],
    ['no containers', { spec: { containers: [] } }, ['template.spec.containers: Required value']],
    [
      'a bad label, reported without "metadata" as upstream does',
      { metadata: { labels: { 'a b': 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      [
        "template.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    ],
    [
      'ephemeral containers',
      {
        spec: {
          containers: [{ name: 'c', image: 'i' }],
          ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
        },
      },
      [
        'template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template',
      ],
    ],
  ])('%s', (_name, template, expected) => {
    expect(validatePodTemplate(pt(template)).map(formatFieldError)).toEqual(expected);
  });

  it('defaults the pod spec and prints Containers, Images and Pod Labels', () => {
    const obj = pt({
      metadata: { labels: { app: 'x', tier: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'i1' },
          { name: 'b', image: 'i2' },
        ],
      },
    });
    expect(obj.template?.spec.restartPolicy).toBe('Always');
    expect(POD_TEMPLATE.table.map((c) => c.name)).toEqual([
      'Name',
      'Containers',
      'Images',
      'Pod Labels',
    ]);
    expect(POD_TEMPLATE.table.map((c) => c.cell(obj, 0))).toEqual([
      'tpl',
      'a,b',
      'i1,i2',
      'app=x,tier=web',
    ]);
  });
});
