import { describe, expect, it } from 'vitest';
import type { CustomResourceDefinition } from '../../../core/api/kinds/custom-resource-definition.ts';
import type { Schema } from '../../../core/api/custom-resources/schema.ts';
import { ok, withApi } from './fixtures.ts';
import { CRDS, establish, widgetCrd } from './custom-resource-fixtures.ts';

const WIDGETS = '/apis/example.com/v1/namespaces/default/widgets';

/** The fixture's Widget with CEL rules on spec and status. */
function ruledCrd(): CustomResourceDefinition {
  const crd = widgetCrd();
  const v = crd.spec.versions[0]!;
  const schema = v.schema?.openAPIV3Schema as Schema;
  const spec = schema.properties?.spec as Schema;
  const status = schema.properties?.status as Schema;
  const ruled: Schema = {
    ...schema,
    properties: {
      spec: {
        ...spec,
        properties: { ...spec.properties, maxSize: { type: 'integer' } },
        'x-kubernetes-validations': [
          {
            rule: '!has(self.maxSize) || self.size <= self.maxSize',
            messageExpression: "'size ' + string(self.size) + ' exceeds maxSize'",
            fieldPath: '.size',
          },
          {
            rule: 'self.color == oldSelf.color',
            message: 'color is immutable',
            reason: 'FieldValueForbidden',
          },
        ],
      },
      status: {
        ...status,
        'x-kubernetes-validations': [
          {
            rule: '!has(self.replicas) || self.replicas >= 0',
            message: 'replicas are not negative',
          },
        ],
      },
    },
  };
  return {
    ...crd,
    spec: { ...crd.spec, versions: [{ ...v, schema: { openAPIV3Schema: ruled } }] },
  } as CustomResourceDefinition;
}

const widget = (name: string, spec: Record<string, unknown>, rv?: string) => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, ...(rv === undefined ? {} : { resourceVersion: rv }) },
  spec,
});

interface Widget {
  metadata: { name: string; resourceVersion: string };
  spec: Record<string, unknown>;
}

interface Cause {
  reason: string;
  field: string;
  message: string;
}

describe('x-kubernetes-validations', () => {
  it('are checked on create, update, patch and status with upstream error shapes', async () => {
    await withApi(async (api) => {
      await establish(api, ruledCrd());
      const tooBig = await api.request('POST', WIDGETS, {
        body: widget('a', { size: 5, maxSize: 3 }),
      });
      expect(tooBig.status).toBe(422);
      expect(!tooBig.ok && tooBig.error.message).toBe(
        'Widget.example.com "a" is invalid: spec.size: Invalid value: "object": size 5 exceeds maxSize',
      );
      const causes = (!tooBig.ok && (tooBig.error.details?.causes as Cause[])) || [];
      expect(causes).toEqual([
        {
          reason: 'FieldValueInvalid',
          field: 'spec.size',
          message: 'Invalid value: "object": size 5 exceeds maxSize',
        },
      ]);

      const created = ok(
        await api.request<Widget>('POST', WIDGETS, { body: widget('a', { size: 2, maxSize: 3 }) }),
      );
      // A transition rule runs on updates only: color was defaulted on create.
      const recolored = await api.request('PUT', `${WIDGETS}/a`, {
        body: widget('a', { size: 2, color: 'blue' }, created.metadata.resourceVersion),
      });
      expect(recolored.status).toBe(422);
      expect(!recolored.ok && recolored.error.message).toBe(
        'Widget.example.com "a" is invalid: spec: Forbidden: color is immutable',
      );
      const patched = await api.request('PATCH', `${WIDGETS}/a`, {
        body: { spec: { size: 4 } },
        contentType: 'application/merge-patch+json',
      });
      expect(!patched.ok && patched.error.message).toBe(
        'Widget.example.com "a" is invalid: spec.size: Invalid value: "object": size 4 exceeds maxSize',
      );
      ok(
        await api.request('PATCH', `${WIDGETS}/a`, {
          body: [{ op: 'replace', path: '/spec/size', value: 3 }],
          contentType: 'application/json-patch+json',
        }),
      );
      const status = await api.request('PATCH', `${WIDGETS}/a/status`, {
        body: { status: { replicas: -1 } },
        contentType: 'application/merge-patch+json',
      });
      expect(!status.ok && status.error.message).toBe(
        'Widget.example.com "a" is invalid: status: Invalid value: "object": replicas are not negative',
      );
      // Rules are not run on an object whose shape is already wrong.
      const wrongType = await api.request('POST', WIDGETS, {
        body: widget('b', { size: 'x', maxSize: 1 }),
      });
      expect(!wrongType.ok && wrongType.error.message).toContain(
        '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      );
    });
  });

  it('are compiled when the CRD is written: errors are refused with upstream messages', async () => {
    await withApi(async (api) => {
      const crd = ruledCrd();
      const v = crd.spec.versions[0]!;
      const schema = v.schema?.openAPIV3Schema as Schema;
      const bad: Schema = {
        ...schema,
        'x-kubernetes-validations': [
          { rule: 'self.spec.colour == "red"' },
          { rule: 'self.spec.size' },
          { rule: 'url(self.spec.name).getHost() == "a"' },
        ],
      };
      const r = await api.request('POST', CRDS, {
        body: {
          ...crd,
          spec: { ...crd.spec, versions: [{ ...v, schema: { openAPIV3Schema: bad } }] },
        },
      });
      expect(r.status).toBe(422);
      const m = !r.ok ? (r.error.message ?? '') : '';
      const at = 'spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations';
      expect(m).toContain(
        `${at}[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.spec.colour == \\"red\\"", Message:"", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:11: undefined field 'colour'`,
      );
      expect(m).toContain(`${at}[1].rule: Invalid value: `);
      expect(m).toContain('cel expression must evaluate to a bool');
      expect(m).toContain("undeclared reference to 'url' (in container '')");
    });
  });
});
