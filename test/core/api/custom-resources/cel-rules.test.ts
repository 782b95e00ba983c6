import { describe, expect, it } from 'vitest';
import { compileRules, validateRules } from '../../../../core/api/custom-resources/cel/rules.ts';
import type { Schema } from '../../../../core/api/custom-resources/schema.ts';
import { formatFieldError } from '../../../../core/api/field-error.ts';

const SCHEMA: Schema = {
  type: 'object',
  'x-kubernetes-validations': [
    { rule: "self.metadata.name.startsWith('w-')", message: 'names start with w-' },
  ],
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.maxReplicas', message: 'min must not exceed max' },
        {
          rule: "!has(self.mode) || self.mode != 'off' || self.minReplicas == 0",
          messageExpression: "'mode off needs 0 replicas, not ' + string(self.minReplicas)",
          fieldPath: '.minReplicas',
        },
        {
          rule: 'self.image == oldSelf.image',
          message: 'image is immutable',
          reason: 'FieldValueForbidden',
        },
      ],
      properties: {
        minReplicas: { type: 'integer' },
        maxReplicas: { type: 'integer' },
        mode: { type: 'string' },
        image: { type: 'string' },
        'pull-policy': { type: 'string' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, port: { type: 'integer' } },
            'x-kubernetes-validations': [
              { rule: 'self.port > 0 && self.port < 65536', message: 'port out of range' },
              { rule: 'self.port >= oldSelf.port', message: 'ports only grow' },
            ],
          },
        },
        tags: {
          type: 'array',
          items: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() < 4' }] },
          'x-kubernetes-validations': [{ rule: 'self.all(t, t.lowerAscii() == t)' }],
        },
        limits: {
          type: 'object',
          additionalProperties: { type: 'integer' },
          'x-kubernetes-validations': [{ rule: "self.all(k, self[k] >= 0) && !('x' in self)" }],
        },
        extra: { 'x-kubernetes-int-or-string': true },
      },
    },
  },
};

const crd = (schema: Schema): string[] =>
  compileRules(schema, 'openAPIV3Schema').errors.map(formatFieldError);

function errors(obj: unknown, old?: unknown): string[] {
  const root = compileRules(SCHEMA, '').root;
  if (root === undefined) throw new Error('rules expected');
  return validateRules(root, obj, old).map(formatFieldError);
}

const ok = {
  apiVersion: 'x.io/v1',
  kind: 'W',
  metadata: { name: 'w-1' },
  spec: {
    minReplicas: 1,
    maxReplicas: 3,
    image: 'a',
    ports: [{ name: 'http', port: 80 }],
    tags: ['a'],
  },
};

describe('CEL validation rules', () => {
  it('compiles the schema above', () => {
    expect(crd(SCHEMA)).toEqual([]);
  });
  it('accepts a valid object', () => {
    expect(errors(ok)).toEqual([]);
    expect(errors(ok, ok)).toEqual([]);
  });
  it.each([
    [
      { ...ok, metadata: { name: 'x' } },
      undefined,
      ['<nil>: Invalid value: "object": names start with w-'],
    ],
    [
      { ...ok, spec: { ...ok.spec, minReplicas: 5 } },
      undefined,
      ['spec: Invalid value: "object": min must not exceed max'],
    ],
    [
      { ...ok, spec: { ...ok.spec, mode: 'off' } },
      undefined,
      ['spec.minReplicas: Invalid value: "object": mode off needs 0 replicas, not 1'],
    ],
    [{ ...ok, spec: { ...ok.spec, image: 'b' } }, ok, ['spec: Forbidden: image is immutable']],
    [
      { ...ok, spec: { ...ok.spec, ports: [{ name: 'http', port: 70000 }] } },
      undefined,
      ['spec.ports[0]: Invalid value: "object": port out of range'],
    ],
    [
      {
        ...ok,
        spec: {
          ...ok.spec,
          ports: [
            { name: 'dns', port: 53 },
            { name: 'http', port: 79 },
          ],
        },
      },
      ok,
      ['spec.ports[1]: Invalid value: "object": ports only grow'],
    ],
    [
      { ...ok, spec: { ...ok.spec, tags: ['Abcd'] } },
      undefined,
      [
        'spec.tags: Invalid value: "array": failed rule: self.all(t, t.lowerAscii() == t)',
        'spec.tags[0]: Invalid value: "string": failed rule: self.size() < 4',
      ],
    ],
    [
      { ...ok, spec: { ...ok.spec, limits: { a: 1, x: 2 } } },
      undefined,
      [
        'spec.limits: Invalid value: "object": failed rule: self.all(k, self[k] >= 0) && !(\'x\' in self)',
      ],
    ],
    [
      { ...ok, spec: { maxReplicas: 3, image: 'a' } },
      undefined,
      [
        'spec: Invalid value: "object": no such key: minReplicas evaluating rule: min must not exceed max',
      ],
    ],
  ])('%#', (obj, old, want) => {
    expect(errors(obj, old)).toEqual(want);
  });

  it.each([
    [{ rule: 'self.nope > 0' }, "undefined field 'nope'"],
    [{ rule: 'foo(self)' }, "undeclared reference to 'foo' (in container '')"],
    [{ rule: 'self.minReplicas' }, 'cel expression must evaluate to a bool'],
    [{ rule: 'self.minReplicas > "a"' }, "found no matching overload for '_>_'"],
    [{ rule: 'self.minReplicas >' }, 'compilation failed: ERROR: <input>:1:'],
  ])('refuses %j at CRD write', (rule, want) => {
    const schema: Schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { minReplicas: { type: 'integer' } },
          'x-kubernetes-validations': [rule],
        },
      },
    };
    const errs = crd(schema);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain(
      'openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:',
    );
    expect(errs[0]).toContain(want);
  });

  it.each([
    [
      { rule: 'self.a == oldSelf.a' },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].rule: Invalid value: "self.a == oldSelf.a": oldSelf cannot be used on the uncorrelatable portion of the schema within openAPIV3Schema.properties[l].items',
    ],
    [
      { rule: 'self.a > 0', optionalOldSelf: true },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule',
    ],
    [
      { rule: 'self.a > 0', reason: 'Bad' },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].reason: Unsupported value: "Bad": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"',
    ],
    [
      { rule: 'self.a > 0', fieldPath: '.b' },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].fieldPath: Invalid value: ".b": fieldPath must be a valid path',
    ],
    [
      { rule: 'self.a > 0 &&\n self.a < 9' },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].message: Required value: message must be specified if rule contains line breaks',
    ],
    [
      { rule: '' },
      'openAPIV3Schema.properties[l].items.x-kubernetes-validations[0].rule: Required value: rule is not specified',
    ],
  ])('refuses %j on the items of a list that is not a map', (rule, want) => {
    const schema: Schema = {
      type: 'object',
      properties: {
        l: {
          type: 'array',
          items: {
            type: 'object',
            properties: { a: { type: 'integer' } },
            'x-kubernetes-validations': [rule],
          },
        },
      },
    };
    expect(crd(schema)).toEqual([want]);
  });

  it('lets optionalOldSelf rules run on create with oldSelf as an optional', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        n: {
          type: 'integer',
          'x-kubernetes-validations': [
            {
              rule: '!oldSelf.hasValue() || self >= oldSelf.value()',
              optionalOldSelf: true,
              message: 'n only grows',
            },
            { rule: 'self != 13', reason: 'FieldValueRequired', message: 'not 13' },
          ],
        },
        m: {
          type: 'object',
          additionalProperties: {
            type: 'string',
            'x-kubernetes-validations': [
              { rule: 'self == oldSelf', message: 'values are immutable' },
            ],
          },
        },
      },
    };
    const root = compileRules(schema, '').root!;
    const run = (obj: unknown, old?: unknown): string[] =>
      validateRules(root, obj, old).map(formatFieldError);
    expect(run({ n: 1 })).toEqual([]);
    expect(run({ n: 1 }, { n: 2 })).toEqual(['n: Invalid value: "integer": n only grows']);
    expect(run({ n: 13 })).toEqual(['n: Required value: not 13']);
    expect(run({ m: { a: 'x', b: 'y' } }, { m: { a: 'z' } })).toEqual([
      'm[a]: Invalid value: "string": values are immutable',
    ]);
  });

  it('supports the Kubernetes list, string and regex extensions', () => {
    const schema: Schema = {
      type: 'object',
      properties: { l: { type: 'array', items: { type: 'integer' } }, s: { type: 'string' } },
      'x-kubernetes-validations': [
        {
          rule: 'self.l.isSorted() && self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3',
        },
        { rule: 'self.l.indexOf(2) == 1 && self.l.lastIndexOf(9) == -1' },
        {
          rule: "self.s.charAt(1) == 'b' && self.s.replace('b', 'x') == 'axc' && self.s.reverse() == 'cba'",
        },
        { rule: "self.s.find('[bc]+') == 'bc' && self.s.findAll('[a-z]') == ['a', 'b', 'c']" },
        { rule: 'self.l.map(x, x * 2).filter(x, x > 2) == [4, 6] && self.l.exists_one(x, x == 2)' },
      ],
    };
    expect(crd(schema)).toEqual([]);
    const root = compileRules(schema, '').root!;
    expect(validateRules(root, { l: [1, 2, 3], s: 'abc' }, undefined)).toEqual([]);
    // Unsorted, and the doubled list filtered is [6, 4].
    expect(validateRules(root, { l: [3, 2, 1], s: 'abc' }, undefined).map((e) => e.detail)).toEqual(
      [
        'failed rule: self.l.isSorted() && self.l.sum() == 6 && self.l.min() == 1 && self.l.max() == 3',
        'failed rule: self.l.map(x, x * 2).filter(x, x > 2) == [4, 6] && self.l.exists_one(x, x == 2)',
      ],
    );
  });

  it('ratchets: a rule without oldSelf failing on a value the update left alone does not fail it', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        a: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'bad'" }] },
        b: { type: 'string' },
        tags: {
          type: 'array',
          items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != 'bad'" }] },
        },
        frozen: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: "self == oldSelf && self != 'bad'" }],
        },
      },
    };
    const root = compileRules(schema, '').root!;
    const run = (obj: unknown, old?: unknown): string[] =>
      validateRules(root, obj, old).map(formatFieldError);
    const old = { a: 'bad', b: 'x', tags: ['bad'], frozen: 'bad' };
    // A transition rule is never ratcheted.
    expect(run({ ...old, b: 'y' }, old)).toEqual([
      `frozen: Invalid value: "string": failed rule: self == oldSelf && self != 'bad'`,
    ]);
    const { frozen: _f, ...rest } = old;
    expect(run({ ...rest, b: 'y' }, rest)).toEqual([]);
    expect(run({ ...rest, a: 'bad', tags: ['bad', 'ok'] }, rest)).toEqual([
      `tags[0]: Invalid value: "string": failed rule: self != 'bad'`,
    ]);
    expect(run(rest)).toEqual([
      `a: Invalid value: "string": failed rule: self != 'bad'`,
      `tags[0]: Invalid value: "string": failed rule: self != 'bad'`,
    ]);
  });

  it('supports the Kubernetes quantity library', () => {
    const schema: Schema = {
      type: 'object',
      properties: { req: { type: 'string' }, lim: { type: 'string' } },
      'x-kubernetes-validations': [
        { rule: 'isQuantity(self.req) && isQuantity(self.lim)', message: 'not quantities' },
        {
          rule: 'quantity(self.req).isLessThan(quantity(self.lim)) || quantity(self.req) == quantity(self.lim)',
          message: 'request above limit',
        },
        { rule: "quantity(self.lim).add(1).compareTo(quantity('1Gi')) <= 0 && !isQuantity('1x')" },
      ],
    };
    expect(crd(schema)).toEqual([]);
    const root = compileRules(schema, '').root!;
    const run = (obj: unknown): string[] =>
      validateRules(root, obj, undefined).map((e) => e.detail);
    expect(run({ req: '500Mi', lim: '0.5Gi' })).toEqual([]);
    expect(run({ req: '600Mi', lim: '512Mi' })).toEqual(['request above limit']);
    expect(run({ req: 'lots', lim: '1' })[0]).toBe('not quantities');
  });
});
