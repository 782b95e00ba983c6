/**
 * Runs every testdata/*.txt script (see datadriven.ts for the format). With KSIM_REWRITE=1 the
 * expected outputs are rewritten in place; review them with `git diff`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseScript, runScript } from './datadriven.ts';
import { InteractionEnv } from './interaction-env.ts';

const dir = join(import.meta.dirname, 'testdata');
const rewrite = process.env['KSIM_REWRITE'] === '1';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft interaction scripts', () => {
  test.each(files)('%s', (file) => {
    const path = join(dir, file);
    const original = readFileSync(path, 'utf8');
    const env = new InteractionEnv();
    const actual = runScript(parseScript(original, file), (tc) => env.handle(tc));
    if (rewrite) {
      writeFileSync(path, actual);
      return;
    }
    expect(actual, `${file} differs; rerun with KSIM_REWRITE=1 and review the diff`).toBe(original);
  });
});
