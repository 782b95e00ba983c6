/** Reads a scheduler_perf configuration file and its templates from disk. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseWorkloadFile, WorkloadFileError, type WorkloadFile } from './workload-file.ts';

export function loadWorkloadFile(path: string): WorkloadFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new WorkloadFileError([
      `${path}: cannot read the workload file: ${(e as Error).message}`,
    ]);
  }
  const dir = dirname(resolve(path));
  return parseWorkloadFile(text, {
    file: path,
    templates: {
      resolve: (p) => resolve(dir, p),
      read: (p) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined),
    },
  });
}
