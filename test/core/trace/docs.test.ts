/**
 * docs/trace.md and docs/trace.schema.json are generated from the record definitions in
 * core/trace/records; this test keeps the committed files equal to what they generate. With
 * KSIM_REWRITE=1 it rewrites them instead; review the change with `git diff`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { traceJsonSchema, traceMarkdown } from '../../../core/trace/docs.ts';

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
});
