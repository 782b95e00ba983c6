#!/usr/bin/env node
/**
 * Summarizes Stryker JSON reports (out/mutation/*.json, written by mutate.mjs) as the Markdown
 * rows test/mutation/SCORES.md keeps: per file its mutants by status and score, then each
 * surviving or uncovered mutant with its line and replacement, for the reason to be written next
 * to it.
 *
 *   node test/mutation/summarize.mjs out/mutation/core-raft--progress+tracker+read-only@....json
 */
import { readFileSync } from 'node:fs';

const reports = process.argv.slice(2);
if (reports.length === 0) {
  process.stderr.write('usage: node test/mutation/summarize.mjs REPORT.json...\n');
  process.exit(2);
}

const STATUSES = ['Killed', 'Survived', 'Timeout', 'NoCoverage', 'CompileError', 'RuntimeError'];

/** Stryker's score: detected (killed or timed out) over valid (detected, survived, uncovered). */
function score(c) {
  const detected = c.Killed + c.Timeout;
  const valid = detected + c.Survived + c.NoCoverage;
  return valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)}%`;
}

const rows = [];
const survivors = [];
const total = Object.fromEntries(STATUSES.map((s) => [s, 0]));
for (const path of reports) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const c = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const m of mutants) {
      c[m.status] = (c[m.status] ?? 0) + 1;
      total[m.status] = (total[m.status] ?? 0) + 1;
      if (m.status === 'Survived' || m.status === 'NoCoverage')
        survivors.push(
          `| ${file}:${m.location.start.line} | ${m.mutatorName} | \`${m.replacement.replace(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 60)}\` | ${m.status} |`,
        );
    }
    rows.push(
      `| ${file} | ${mutants.length} | ${c.Killed} | ${c.Survived} | ${c.Timeout} | ${c.NoCoverage} | ${score(c)} |`,
    );
  }
}
const n = Object.values(total).reduce((a, b) => a + b, 0);
process.stdout.write(
  [
    '| file | mutants | killed | survived | timeout | no coverage | score |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **all above** | ${n} | ${total.Killed} | ${total.Survived} | ${total.Timeout} | ${total.NoCoverage} | ${score(total)} |`,
    '',
    '| mutant | mutator | replacement | status |',
    '| --- | --- | --- | --- |',
    ...survivors,
    '',
  ].join('\n'),
);
