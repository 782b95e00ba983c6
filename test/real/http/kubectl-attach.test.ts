/**
 * `kubectl attach` and `kubectl run -i --rm` (kubectl 1.32, the installed binary) against `ksim
 * serve`: pods/attach over the WebSocket channel protocol to the simulated main process. A
 * `cat` with `stdin: true` gives back what `attach -i` sends; a plain attach prints what a
 * running container writes until it exits, and so does `attach -i` to a container without
 * stdin, whose input goes nowhere (containerd drops it); a shell on the container's terminal
 * reads what `attach -i` sends through it, and what is typed into `attach -it` on a terminal;
 * `kubectl run -i --rm` makes a pod with
 * stdin and stdinOnce, attaches, and deletes the pod once cat has read the end of its input.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../cluster/ksim.ts';
import { expectRunOnceAttachesAndGoes } from '../kubectl-run-once.ts';
import { runOnTerminal, runWithInput, SCRIPT } from '../terminal.ts';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
let cluster: ServedCluster;

const env = () => ({
  PATH: process.env.PATH ?? '',
  HOME: cluster.home,
  KUBECONFIG: cluster.kubeconfig,
});

const kubectl = (input: string | undefined, ...args: string[]): Promise<Result> =>
  runWithInput(KUBECTL, args, env(), input);

async function running(name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await kubectl(undefined, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}');
    if (r.stdout === 'Running') return;
    if (Date.now() > deadline) throw new Error(`${name} is not Running: ${r.stdout}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

describe.skipIf(!existsSync(KUBECTL) || !existsSync(SCRIPT))(
  'kubectl attach against ksim serve',
  () => {
    beforeAll(async () => {
      cluster = await serve('scenarios/quickstart.yaml', ['--speed', '10']);
      const file = join(cluster.home, 'pods.yaml');
      // At --speed 10 the talker says `one` 15 s after it starts: time for kubectl to attach
      // (its test runs first).
      writeFileSync(
        file,
        `apiVersion: v1
kind: Pod
metadata: {name: echo}
spec:
  containers:
  - {name: app, image: nginx:1.25, command: [cat], stdin: true}
---
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  containers:
  - {name: app, image: nginx:1.25, command: [sh], stdin: true, tty: true}
---
apiVersion: v1
kind: Pod
metadata: {name: ticker}
spec:
  containers:
  - name: app
    image: nginx:1.25
    command: [sh]
    stdin: true
    tty: true
    env:
    - {name: KSIM_LOG_LINES_PER_SECOND, value: '2'}
    - {name: KSIM_LOG_TEXT, value: tick}
---
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  restartPolicy: Never
  containers:
  - {name: app, image: nginx:1.25, command: [sh, -c, 'sleep 150; echo one; sleep 10; echo two']}
`,
      );
      const applied = await kubectl(undefined, 'apply', '-f', file);
      expect(applied.code, applied.stderr).toBe(0);
      await running('echo');
      await running('talker');
      await running('shell');
      await running('ticker');
    }, 90_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('streams a running container, with and without -i, until it exits', async () => {
      const [plain, withInput] = await Promise.all([
        kubectl(undefined, 'attach', 'talker'),
        kubectl('ignored\n', 'attach', '-i', 'talker'),
      ]);
      expect(plain, plain.stderr).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
      expect(withInput, withInput.stderr).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
    }, 60_000);

    it('gives stdin to the main process with -i', async () => {
      const r = await kubectl('hi\nthere\n', 'attach', '-i', 'echo');
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'hi\nthere\n' });
      // The container's stdin outlives the session (no stdinOnce): it runs on.
      const again = await kubectl('again\n', 'attach', '-i', '-q', 'echo');
      expect(again.stdout).toBe('again\n');
    }, 60_000);

    it('reads stdin behind the terminal of a tty container', async () => {
      // kubectl's stdin is a pipe, so it asks for no terminal; the container has one, and its
      // shell reads the input through it: the echo, CR LF, the prompt.
      const r = await kubectl('echo hi\nexit 3\n', 'attach', '-i', 'shell');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('echo hi\r\nhi\r\n/ # exit 3\r\n');
    }, 60_000);

    it('puts -it on the terminal of the container, whose shell reads what is typed', async () => {
      // Typed once output has come: kubectl (under `script` here) sent nothing typed into a
      // session that had shown no output yet (README).
      const r = await runOnTerminal(KUBECTL, ['attach', '-it', 'ticker'], env(), {
        typing: { ready: 'tick', text: 'echo hi\rexit 3\r' },
      });
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain('echo hi\r\nhi\r\n/ # exit 3\r\n');
    }, 60_000);

    it('kubectl run -i --rm attaches, closes stdin once and deletes the pod', async () => {
      await expectRunOnceAttachesAndGoes(kubectl, 'nginx:1.25');
      const gone = await kubectl(undefined, 'get', 'pod', 'once');
      expect(gone.stderr).toContain('NotFound');
    }, 90_000);
  },
);
