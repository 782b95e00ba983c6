/**
 * `kubectl run -i --rm --restart=Never`: kubectl creates the pod, attaches with stdin (the pod
 * has stdinOnce, so stdin closes when that attach ends), `cat` echoes what was piped and ends,
 * and kubectl deletes the pod. The same check for `ksim serve` and for a real cluster; only the
 * image differs.
 */
import { expect } from 'vitest';
import type { Result } from './cluster/ksim.ts';

export type KubectlWithInput = (input: string | undefined, ...args: string[]) => Promise<Result>;

export async function expectRunOnceAttachesAndGoes(
  kubectl: KubectlWithInput,
  image: string,
): Promise<void> {
  const r = await kubectl(
    'from run\n',
    'run',
    'once',
    '-i',
    '--rm',
    '--restart=Never',
    `--image=${image}`,
    '--',
    'cat',
  );
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('from run\n');
  expect(r.stdout).toContain('pod "once" deleted');
}
