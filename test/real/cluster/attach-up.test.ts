/**
 * `kubectl attach` (kubectl 1.32) against `ksim real up`: a plain attach prints what a running
 * busybox container writes from then on, each line on its stream, and ends when the container
 * exits; attaching stdin to a container with `stdin: true` is refused with the reason, as real
 * mode gives containers no stdin yet (README, real mode's "Not yet").
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBECTL } from './ksim.ts';
import { RealCluster, realClusterUnavailable, until } from './real-cluster.ts';
import { runWithInput } from '../terminal.ts';

const unavailable = realClusterUnavailable();
if (unavailable !== undefined) console.warn(`real attach test skipped: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('kubectl attach on ksim real up (as root)', () => {
  const cluster = new RealCluster('ksim-up-attach-');
  const running = (name: string) =>
    until(`${name} Running`, 120_000, async () => {
      const r = await cluster.kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}');
      return r.stdout === 'Running' ? true : undefined;
    });

  beforeAll(async () => {
    const up = await cluster.up();
    expect(up.code, up.stderr).toBe(0);
    const file = join(cluster.dir, 'pods.yaml');
    // The talker waits 20 s before it speaks: time for kubectl to attach.
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: [sh, -c, 'sleep 20; echo one; echo two >&2; sleep 1']
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  containers:
  - {name: app, image: ksim.local/busybox:1, command: [sleep, '3600'], stdin: true}
`,
    );
    const applied = await cluster.kubectl('apply', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    await running('talker');
    await running('reader');
  }, 300_000);

  afterAll(() => cluster.down(), 180_000);

  it('streams what the container writes until it exits', async () => {
    const r = await cluster.kubectl('attach', 'talker');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('one\n');
    expect(r.stderr).toContain('two\n');
  }, 120_000);

  it('refuses stdin to a container with stdin: true, saying why', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: cluster.dir,
      KUBECONFIG: join(cluster.dir, 'admin.kubeconfig'),
    };
    const r = await runWithInput(KUBECTL, ['attach', '-i', 'reader'], env, 'hi\n');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('real mode does not attach to a container with stdin or tty yet');
  }, 60_000);
});
