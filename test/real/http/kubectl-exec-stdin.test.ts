/**
 * `kubectl exec -i` and `-t` (kubectl 1.32, the installed binary) against `ksim serve`: stdin
 * goes over the WebSocket channel protocol (v5.channel.k8s.io: channel 0, and the close signal
 * for its end) through the API server to the simulated kubelet's session, and the output comes
 * back as it is written; a terminal (kubectl -it run under `script`, so its stdin is a
 * terminal) gets the pty's echo and CR LF and its size (a resize), `tty` names it. The session `--record` wrote holds each piece
 * of input as an admission, and `ksim replay-session` reruns it to the same trace.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaySessionCommand } from '../../../sim/cli/replay-session-command.ts';
import { parseSession } from '../../../sim/served-session.ts';
import type { Result } from '../cluster/ksim.ts';
import { runOnTerminal, runWithInput, SCRIPT, type Typing } from '../terminal.ts';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const SCENARIO = 'scenarios/quickstart.yaml';
let cluster: ServedCluster;
let stopped = false;

const sha256 = (file: string): string =>
  createHash('sha256').update(readFileSync(file)).digest('hex');

const env = () => ({
  PATH: process.env.PATH ?? '',
  HOME: cluster.home,
  KUBECONFIG: cluster.kubeconfig,
});

const kubectl = (input: string | undefined, ...args: string[]): Promise<Result> =>
  runWithInput(KUBECTL, args, env(), input);

const kubectlOnTerminal = (typing: Typing | undefined, ...args: string[]): Promise<Result> =>
  runOnTerminal(KUBECTL, args, env(), typing === undefined ? {} : { typing });

/** `out` without kubectl's log line for a resize written after the stream closed. */
const withoutKubectlCloseRace = (out: string): string =>
  out.replace(
    /^E\d{4} [\d:.]+ +\d+ \S+\] "Unhandled Error" err="websocket: close sent"\r?\n/gm,
    '',
  );

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!existsSync(KUBECTL) || !existsSync(SCRIPT))(
  'kubectl exec -i / -t against ksim serve',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-exec-session-'));
    const session = join(dir, 'session.jsonl');
    const served = join(dir, 'served.jsonl');
    beforeAll(async () => {
      cluster = await serve(SCENARIO, ['--speed', '10', '--trace', served, '--record', session]);
      const file = join(cluster.home, 'pod.yaml');
      writeFileSync(
        file,
        `apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  containers:
  - {name: app, image: nginx:1.25, command: [sleep, infinity]}
`,
      );
      const applied = await kubectl(undefined, 'apply', '-f', file);
      expect(applied.code, applied.stderr).toBe(0);
      await until(
        'shell Running',
        async () =>
          (await kubectl(undefined, 'get', 'pod', 'shell', '-o', 'jsonpath={.status.phase}'))
            .stdout === 'Running',
      );
    }, 90_000);

    afterAll(async () => {
      if (!stopped) await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('carries stdin to cat and ends it at the input end (-i)', async () => {
      const hi = await kubectl('hi\n', 'exec', '-i', 'shell', '--', 'cat');
      expect(hi, hi.stderr).toMatchObject({ code: 0, stdout: 'hi\n' });
      const two = await kubectl('one\ntwo\n', 'exec', '-i', 'shell', '--', 'cat');
      expect(two.stdout).toBe('one\ntwo\n');
      // Without -i the command has no stdin: cat ends at once with nothing.
      expect(await kubectl('ignored\n', 'exec', 'shell', '--', 'cat')).toMatchObject({
        code: 0,
        stdout: '',
      });
    });

    it('runs a shell on stdin line by line, with its exit code and stderr', async () => {
      const r = await kubectl(
        'echo one\nnosuch\necho two >&2\nexit 4\necho never\n',
        'exec',
        '-i',
        'shell',
        '--',
        'sh',
      );
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('one\n');
      expect(r.stderr).toContain('sh: nosuch: not found\n');
      expect(r.stderr).toContain('two\n');
      // At the end of stdin the shell exits with the last status.
      expect((await kubectl('false\n', 'exec', '-i', 'shell', '--', 'sh')).code).toBe(1);
    });

    it('gives a terminal with -it: tty names it, the shell prompts and echoes', async () => {
      // As upstream's kubectl: -t without -i gets no terminal.
      const noTty = await kubectlOnTerminal(undefined, 'exec', '-t', 'shell', '--', 'tty');
      expect(noTty.stdout).toContain('not a tty');
      const tty = await kubectlOnTerminal(undefined, 'exec', '-it', 'shell', '--', 'tty');
      expect(tty.code, tty.stdout).toBe(0);
      // kubectl sends the terminal's size on its own goroutine as the session starts; when
      // `tty` has already ended and the stream is closed, kubectl logs that write's failure
      // (klog: "Unhandled Error" err="websocket: close sent") onto the same terminal. That
      // line is kubectl's, not the command's output: leave it out.
      expect(withoutKubectlCloseRace(tty.stdout)).toBe('/dev/pts/0\r\n');
      const sh = await kubectlOnTerminal(
        { ready: '/ # ', text: 'echo typed\rexit 3\r' },
        'exec',
        '-it',
        'shell',
        '--',
        'sh',
      );
      expect(sh.code, sh.stdout).toBe(3);
      // The prompt, the echo of what was typed, the output in CR LF.
      expect(sh.stdout).toContain('/ # echo typed\r\ntyped\r\n/ # exit 3\r\n');
    });

    it('records each piece of input, and the session replays to the same trace', async () => {
      stopped = true;
      expect(await cluster.stop()).toBe(0);
      const recorded = parseSession(readFileSync(session, 'utf8'));
      const inputs = recorded.admissions.flatMap((a) => (a.op === 'input' ? [a.input] : []));
      expect(inputs).toContainEqual({ kind: 'stdin', data: 'hi\n' });
      expect(inputs).toContainEqual({ kind: 'stdin-close' });
      expect(inputs.some((i) => i.kind === 'resize')).toBe(true);
      const replayed = join(dir, 'replayed.jsonl');
      const lines: string[] = [];
      const code = await replaySessionCommand(SCENARIO, session, { trace: replayed }, (s) =>
        lines.push(s),
      );
      expect(code, lines.join('\n')).toBe(0);
      expect(sha256(replayed)).toBe(sha256(served));
    }, 120_000);
  },
);
