/**
 * docs/trace.md and docs/trace.schema.json are generated from the record definitions in
 * core/trace/records; this test keeps the committed files equal to what they generate. With
 * KSIM_REWRITE=1 it rewrites them instead; review the change with `git diff`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { traceJsonSchema, traceMarkdown } from '../../../core/trace/docs.ts';
import { checkTraceRecord } from '../../../core/trace/validate.ts';

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs');
const rewrite = process.env['KSIM_REWRITE'] === '1';

/** Formatted as `prettier --check .` wants it, so the generated files pass that check too. */
async function formatted(path: string, text: string): Promise<string> {
  const options = await prettier.resolveConfig(path);
  return prettier.format(text, { ...options, filepath: path });
}

async function check(file: string, generated: string): Promise<void> {
  const path = join(DOCS, file);
  const actual = await formatted(path, generated);
  if (rewrite) {
    writeFileSync(path, actual);
    return;
  }
  const committed = readFileSync(path, 'utf8');
  expect(committed, `${file} differs; rerun with KSIM_REWRITE=1 and review the diff`).toBe(actual);
}

describe('trace documentation', () => {
  it('docs/trace.md is generated from the schema', async () => {
    await check('trace.md', traceMarkdown());
  });

  it('docs/trace.schema.json is generated from the schema', async () => {
    await check('trace.schema.json', JSON.stringify(traceJsonSchema()));
  });

  it('the JSON Schema accepts and rejects what the definitions do', () => {
    const matches = new Ajv2020({ strict: false }).compile(traceJsonSchema());
    const bind = {
      t: 5,
      p: 'scheduler',
      k: 'scheduler.bind',
      pod: 'default/a',
      node: 'node-1',
      attempts: 2,
      latencyUs: 1_500_000,
    };
    const crash = {
      t: 1,
      p: 'node-1',
      k: 'runtime.fault',
      fault: 'crash',
      container: 'c',
      id: 'i',
    };
    const records = [
      bind,
      crash,
      { t: 1, p: 'sim', k: 'fault.heal' },
      { ...bind, k: 'scheduler.bound' },
      { ...bind, node: undefined },
      { ...bind, extra: 1 },
      { ...bind, node: 3 },
      { ...bind, t: 1.5 },
      { ...crash, id: undefined, image: 'x' },
      { t: 1, p: 'n', k: 'kubelet.pod-phase', pod: 'a', node: 'n', phase: 'Gone' },
    ].map((r) => JSON.parse(JSON.stringify(r)) as unknown);
    const verdicts = records.map((r) => [matches(r), checkTraceRecord(r).ok]);
    expect(verdicts).toEqual([
      [true, true],
      [true, true],
      [true, true],
      ...Array.from({ length: 7 }, () => [false, false]),
    ]);
  });
});
