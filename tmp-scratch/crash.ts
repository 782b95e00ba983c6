import { readFileSync } from 'node:fs';
import { parseScenario } from '/work/wt/h16-manifests/sim/scenario/scenario.ts';
import { runScenario } from '/work/wt/h16-manifests/sim/scenario/run.ts';
const s = parseScenario(readFileSync('/tmp/h16/crash.yaml','utf8'));
try { await runScenario(s, {seed:1}); } catch (e) { console.log((e as Error).stack); }
