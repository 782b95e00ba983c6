/**
 * The scenario JSON Schema (`ksim schema`, generated from the zod schema the loader checks
 * with) is committed as scenarios/scenario.schema.json for editors; this test keeps the file
 * equal to the command's output. With KSIM_REWRITE=1 it rewrites the file instead; review the
 * change with `git diff`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../../sim/cli/main.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const SCHEMA_FILE = join('scenarios', 'scenario.schema.json');
const rewrite = process.env['KSIM_REWRITE'] === '1';
const scenarioFiles = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .sort();

async function schemaCommandOutput(): Promise<string> {
  const lines: string[] = [];
  expect(await main(['node', 'ksim', 'schema'], (s) => lines.push(s))).toBe(0);
  return lines.join('\n');
}

function loaderProblems(text: string): string[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('scenario JSON Schema', () => {
  it('scenarios/scenario.schema.json is what `ksim schema` prints', async () => {
    const printed = await schemaCommandOutput();
    const options = await prettier.resolveConfig(SCHEMA_FILE);
    const formatted = await prettier.format(printed, { ...options, filepath: SCHEMA_FILE });
    if (rewrite) writeFileSync(SCHEMA_FILE, formatted);
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed, 'rerun with KSIM_REWRITE=1 and review the diff').toBe(formatted);
    expect(JSON.parse(committed)).toEqual(JSON.parse(printed));
  });

  it('every example scenario names the schema on its first line and validates against it', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    const matches = new Ajv2020({ strict: false }).compile(schema);
    expect(scenarioFiles.length).toBeGreaterThan(5);
    for (const f of scenarioFiles) {
      const text = readFileSync(join('scenarios', f), 'utf8');
      expect(text.split('\n')[0], f).toBe('# yaml-language-server: $schema=./scenario.schema.json');
      expect(matches(parse(text)), `${f}: ${JSON.stringify(matches.errors)}`).toBe(true);
    }
  });

  it('bad files are refused by the JSON Schema and by the loader alike', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    const matches = new Ajv2020({ strict: false }).compile(schema);
    const base = readFileSync('scenarios/quickstart.yaml', 'utf8');
    const bad = [
      base.replace('count: 3', 'count: 3\n        cpus: 4'),
      base.replace('count: 3', 'count: three'),
      base.replace('count: 3', 'count: 0'),
      base.replace('duration: 2m', 'duration: 2 minutes'),
      base.replace('name: quickstart', 'title: quickstart'),
      base.replace('kind: Scenario', 'kind: Senario'),
      base.replace(
        '  objects:',
        '  actions:\n    - { at: 5s, fault: { kind: explode } }\n  objects:',
      ),
      base.replace(
        '  objects:',
        '  actions:\n    - { at: 5s, fault: { kind: crash } }\n  objects:',
      ),
      base.replace('phase: Running', 'phase: Runing'),
    ];
    for (const text of bad) {
      expect(text).not.toBe(base);
      expect(matches(parse(text)), text).toBe(false);
      expect(loaderProblems(text), text).not.toEqual([]);
    }
    expect(matches(parse(base))).toBe(true);
    expect(loaderProblems(base)).toEqual([]);
  });
});
