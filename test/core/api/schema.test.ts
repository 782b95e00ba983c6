/**
 * The kinds' field trees: core/api/schema/generated.ts is what test/support/gen-schema.ts makes
 * of the kubernetes-types declarations (KSIM_REWRITE=1, or `npm run gen:schema`, rewrites it),
 * and the unknown and duplicate fields fieldValidation reports, with upstream's paths.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { duplicateFields, kindType, pruneUnknownFields } from '../../../core/api/schema/index.ts';
import { DOCS_OUTPUT, generateDocs, generateSchema, OUTPUT } from '../../support/gen-schema.ts';

describe('generated schema', () => {
  it('is what the generator writes from kubernetes-types', async () => {
    const generated = await generateSchema();
    if (process.env['KSIM_REWRITE'] === '1') writeFileSync(OUTPUT, generated);
    else expect(readFileSync(OUTPUT, 'utf8')).toBe(generated);
  }, 60_000);

  it("carries the declarations' descriptions, required members and aliases", async () => {
    const generated = await generateDocs();
    if (process.env['KSIM_REWRITE'] === '1') writeFileSync(DOCS_OUTPUT, generated);
    else expect(readFileSync(DOCS_OUTPUT, 'utf8')).toBe(generated);
  }, 60_000);
});

describe('unknown fields', () => {
  const pod = kindType('v1', 'Pod') as string;

  it('are dropped and reported with their paths', () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' }, bogus: 1 },
      spec: { containers: [{ name: 'c', image: 'i', imagee: 'x' }] },
      extra: true,
    };
    const r = pruneUnknownFields(body, pod);
    expect(r.unknown).toEqual(['metadata.bogus', 'spec.containers[0].imagee', 'extra']);
    expect(r.value).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
  });

  it('leave a body without any untouched (the same object)', () => {
    const body = { metadata: { name: 'p', annotations: { 'x/y': 'z' } }, spec: { containers: [] } };
    const r = pruneUnknownFields(body, pod);
    expect(r.unknown).toEqual([]);
    expect(r.value).toBe(body);
  });

  it('are not looked for in free-form JSON (managedFields trie, map values)', () => {
    const body = {
      metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }] },
    };
    expect(pruneUnknownFields(body, pod).unknown).toEqual([]);
  });
});

describe('duplicate fields', () => {
  it.each([
    ['{"a":1,"a":2}', ['a']],
    ['{"metadata":{"labels":{"x":"1","x":"2"}}}', ['metadata.labels.x']],
    ['{"spec":{"containers":[{"name":"a"},{"name":"b","name":"c"}]}}', ['spec.containers[1].name']],
    ['{"a":"\\"a\\"","b":{"a":1}}', []],
    ['not json', []],
  ])('%s', (text, want) => {
    expect(duplicateFields(text)).toEqual(want);
  });
});
