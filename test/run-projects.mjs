#!/usr/bin/env node
// Runs the suite's two vitest projects at the same time (see vitest.config.ts). The `sim`
// project keeps both cores busy; the `real` project's host tests spend most of their time
// waiting on other processes (containerd, bring-ups, etcd), one file at a time. Run one after
// the other, the suite's wall time was their sum; side by side, it is about the longer one.
// Every line vitest prints names its project, so the interleaved output stays readable. The
// exit code is the first non-zero one of the two runs. Extra arguments go to both runs.
import { spawn } from 'node:child_process';

const projects = ['real', 'sim'];
const args = process.argv.slice(2);
const runs = projects.map(
  (project) =>
    new Promise((resolve) => {
      const child = spawn('npx', ['vitest', 'run', '--project', project, ...args], {
        stdio: 'inherit',
      });
      child.on('error', (err) => {
        console.error(`vitest --project ${project}: ${err.message}`);
        resolve(1);
      });
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    }),
);
const codes = await Promise.all(runs);
for (const [i, code] of codes.entries()) {
  if (code !== 0) console.error(`vitest --project ${projects[i]} exited ${code}`);
}
process.exit(codes.find((code) => code !== 0) ?? 0);
