/**
 * `kubectl logs` and `kubectl exec` (kubectl 1.32, the installed binary) against `ksim serve`:
 * the simulated containers' output through the API server's pods/log proxy to the kubelet,
 * with -f, --previous, --tail, --timestamps and -c; exec over the WebSocket channel protocol
 * with its output and exit codes.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
let cluster: ServedCluster;

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function kubectl(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL,
      args,
      {
        env: { PATH: process.env.PATH ?? '', HOME: cluster.home, KUBECONFIG: cluster.kubeconfig },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function podYaml(name: string, script: string, restartPolicy = 'Always'): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: ${restartPolicy}
  containers:
  - name: app
    image: nginx:1.25
    command: ["sh", "-c", "${script}"]
    env:
    - name: GREETING
      value: hello
`;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const phase = async (name: string): Promise<string> =>
  (await kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}')).stdout;

describe.skipIf(!existsSync(KUBECTL))('kubectl logs and exec against ksim serve', () => {
  beforeAll(async () => {
    // Ten times real time: a virtual second is a tenth of a wall second.
    cluster = await serve('scenarios/quickstart.yaml', ['--speed', '10']);
    const file = join(cluster.home, 'pods.yaml');
    writeFileSync(
      file,
      [
        podYaml('talker', 'echo hello; sleep 5; echo world; sleep 3600'),
        podYaml('once', 'echo a; sleep 30; echo b; exit 0', 'Never'),
        podYaml('crasher', 'echo crashed; sleep 1; exit 1'),
      ].join('---\n'),
    );
    const applied = await kubectl('apply', '-f', file);
    expect(applied.code, applied.stderr).toBe(0);
    for (const name of ['talker', 'once'])
      await until(`${name} Running`, async () => (await phase(name)) === 'Running');
  }, 90_000);

  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
  });

  it('prints what the container wrote, with --tail, --timestamps and -c', async () => {
    await until('both lines', async () =>
      (await kubectl('logs', 'talker')).stdout.includes('world'),
    );
    expect((await kubectl('logs', 'talker')).stdout).toBe('hello\nworld\n');
    expect((await kubectl('logs', 'talker', '-c', 'app', '--tail', '1')).stdout).toBe('world\n');
    const stamped = (await kubectl('logs', 'talker', '--timestamps')).stdout.trimEnd().split('\n');
    expect(stamped).toHaveLength(2);
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z hello$/);
    const wrong = await kubectl('logs', 'talker', '-c', 'nope');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('container nope is not valid for pod talker');
  });

  it('follows a container until it ends (-f)', async () => {
    const followed = await kubectl('logs', '-f', 'once');
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('a\nb\n');
  });

  it('shows the previous instance (--previous), or upstream error when there is none', async () => {
    const none = await kubectl('logs', 'talker', '--previous');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('previous terminated container "app" in pod "talker" not found');
    await until('a restart of crasher', async () => {
      const r = await kubectl(
        'get',
        'pod',
        'crasher',
        '-o',
        'jsonpath={.status.containerStatuses[0].restartCount}',
      );
      return Number(r.stdout) >= 1;
    });
    expect((await kubectl('logs', 'crasher', '--previous')).stdout).toBe('crashed\n');
  });

  it('execs commands over the WebSocket protocol, with their exit codes', async () => {
    const hi = await kubectl('exec', 'talker', '--', 'echo', 'hi');
    expect(hi).toMatchObject({ code: 0, stdout: 'hi\n' });
    expect((await kubectl('exec', 'talker', '--', 'printenv', 'GREETING')).stdout).toBe('hello\n');
    const three = await kubectl('exec', 'talker', '--', 'sh', '-c', 'echo oops >&2; exit 3');
    expect(three.code).toBe(3);
    expect(three.stderr).toContain('oops\n');
    const missing = await kubectl('exec', 'talker', '--', 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('executable file not found in $PATH');
  });
});
