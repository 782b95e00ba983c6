import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../../core/api/custom-resources/defaults.ts';
import { evaluate, parseJsonPath, setAt } from '../../../../core/api/custom-resources/json-path.ts';
import { prune } from '../../../../core/api/custom-resources/prune.ts';
import type { Schema } from '../../../../core/api/custom-resources/schema.ts';
import { validateCrdSchema } from '../../../../core/api/custom-resources/structural.ts';
import { compileValidator } from '../../../../core/api/custom-resources/validator.ts';
import { formatFieldError } from '../../../../core/api/field-error.ts';

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        size: { type: 'integer', minimum: 1, maximum: 10 },
        ratio: { type: 'number', exclusiveMinimum: true, minimum: 0, nullable: true },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        name: { type: 'string', minLength: 2, maxLength: 4, pattern: '^[a-z]+$' },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { k: { type: 'string' }, v: { type: 'integer', default: 0 } },
          },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    },
  },
};

const errorsOf = (obj: unknown): string[] => compileValidator(SCHEMA)(obj).map(formatFieldError);

describe('custom resource schemas', () => {
  it.each([
    [{ spec: { size: 3 } }, []],
    [{ spec: {} }, ['spec.size: Required value']],
    [
      { spec: { size: 'x' } },
      ['spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"'],
    ],
    [
      { spec: { size: 0 } },
      ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1'],
    ],
    [
      { spec: { size: 1, ratio: 0 } },
      ['spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0'],
    ],
    [{ spec: { size: 1, ratio: null } }, []],
    [
      { spec: { size: 1, mode: 'c' } },
      ['spec.mode: Unsupported value: "c": supported values: "a", "b"'],
    ],
    [
      { spec: { size: 1, name: 'A' } },
      [
        'spec.name: Invalid value: "A": spec.name in body should be at least 2 chars long',
        'spec.name: Invalid value: "A": spec.name in body should match \'^[a-z]+$\'',
      ],
    ],
    [
      { spec: { size: 1, when: 'noon' } },
      ['spec.when: Invalid value: "noon": spec.when in body must be of type date-time: "noon"'],
    ],
    [{ spec: { size: 1, when: '2026-01-01T00:00:00Z', port: 80 } }, []],
    [{ spec: { size: 1, port: 'http' } }, []],
    [
      { spec: { size: 1, port: true } },
      [
        'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      ],
    ],
    [
      { spec: { size: 1, tags: ['a', 'b', 'c'] } },
      ['spec.tags: Too many: 3: must have at most 2 items'],
    ],
    [
      { spec: { size: 1, items: [{ k: 1 }] } },
      [
        'spec.items[0].k: Invalid value: "integer": spec.items[0].k in body must be of type string: "integer"',
      ],
    ],
  ])('validates %j', (obj, expected) => {
    expect(errorsOf(obj)).toEqual(expected);
  });

  it('prunes what the schema does not specify, keeping the envelope and preserved subtrees', () => {
    const obj = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: 'b' } },
      spec: {
        size: 1,
        extra: 1,
        items: [{ k: 'x', z: 2 }],
        labels: { any: 'thing' },
        raw: { anything: { goes: true } },
      },
      status: { x: 1 },
    };
    const r = prune(obj, SCHEMA);
    expect(r.value).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: 'b' } },
      spec: {
        size: 1,
        items: [{ k: 'x' }],
        labels: { any: 'thing' },
        raw: { anything: { goes: true } },
      },
    });
    expect(r.pruned).toEqual(['spec.extra', 'spec.items[0].z', 'status']);
    const clean = { spec: { size: 1 } };
    expect(prune(clean, SCHEMA).value).toBe(clean);
  });

  it('applies defaults in objects and list items, leaving set values alone', () => {
    expect(applyDefaults({ spec: { size: 1, items: [{ k: 'x' }, { v: 5 }] } }, SCHEMA)).toEqual({
      spec: { size: 1, mode: 'a', items: [{ k: 'x', v: 0 }, { v: 5 }] },
    });
    const full = { spec: { size: 1, mode: 'b' } };
    expect(applyDefaults(full, SCHEMA)).toBe(full);
  });

  it('checks that a CRD schema is structural', () => {
    const errs = (s: unknown) =>
      validateCrdSchema(s as Schema, 'spec.versions[0].schema.openAPIV3Schema').map(
        formatFieldError,
      );
    expect(errs(SCHEMA)).toEqual([]);
    expect(errs({ type: 'string' })).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root',
    ]);
    expect(
      errs({
        type: 'object',
        properties: {
          a: {},
          b: { type: 'array' },
          c: {
            type: 'object',
            properties: { x: { type: 'string' } },
            additionalProperties: { type: 'string' },
          },
          metadata: { type: 'object', properties: { labels: { type: 'object' } } },
        },
      }),
    ).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields',
      'spec.versions[0].schema.openAPIV3Schema.properties[b].items: Required value: must be specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[c].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ]);
  });

  it('reads and writes the simple JSON paths of printer columns and scale', () => {
    const steps = parseJsonPath(".status.conditions[0]['type']");
    expect(steps).toEqual([
      { kind: 'field', name: 'status' },
      { kind: 'field', name: 'conditions' },
      { kind: 'index', i: 0 },
      { kind: 'field', name: 'type' },
    ]);
    expect(evaluate({ status: { conditions: [{ type: 'Ready' }] } }, steps as never)).toBe('Ready');
    expect(evaluate({}, steps as never)).toBeUndefined();
    expect(parseJsonPath('.items[?(@.x)]')).toMatch(/unsupported json path syntax/);
    expect(parseJsonPath('spec')).toMatch(/starting with \./);
    const spec = parseJsonPath('.spec.replicas') as never;
    expect(setAt({ spec: { a: 1 } }, spec, 3)).toEqual({ spec: { a: 1, replicas: 3 } });
  });
});
