/**
 * The exec and attach checks of the `ksim real up` suite (kubectl-up.test.ts runs them on its
 * cluster, so the suite starts one cluster for both). `kubectl exec -i` and `-it` (kubectl 1.32): stdin travels over the
 * WebSocket channel protocol to the API server, over the framed-TCP transport to the node's
 * kubelet and into `ctr tasks exec` in the busybox container — `cat` gives it back and ends at
 * its end, busybox's shell runs it and exits with its code; with a terminal busybox's `tty`
 * names a pty of the container, and the size of kubectl's terminal reaches the container's pty
 * (`stty size` inside). A client that goes away in the middle leaves no exec process behind.
 * `kubectl attach`: a plain attach prints what a running container writes from then on, each
 * line on its stream, and ends when the container exits; `attach -i` writes
 * to the stdin of a `cat` with `stdin: true`, which the runtime holds open for the next client
 * and whose echo reaches both the client and `kubectl logs`; `kubectl run -i --rm` (stdinOnce)
 * closes cat's stdin after its attach, so the pod ends and is deleted; `attach -it` (under
 * `script`) types into a shell on the container's terminal. `kubectl get --raw /openid/v1/jwks`
 * returns the cluster's ES256 public key, which verifies the admin kubeconfig's token.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectRunOnceAttachesAndGoes } from '../kubectl-run-once.ts';
import { runOnTerminal, runReacting, runWithInput, SCRIPT } from '../terminal.ts';
import { KUBECTL, run, type Result } from './ksim.ts';
import { type RealCluster, until } from './real-cluster.ts';

/** Why the exec and attach checks cannot run here (beyond a real cluster's needs), or undefined. */
export const execAttachUnavailable = existsSync(SCRIPT) ? undefined : `no ${SCRIPT} (util-linux)`;
if (execAttachUnavailable !== undefined)
  console.warn(`real exec -i/-t and attach checks skipped: ${execAttachUnavailable}`);

/** The checks, as a describe block inside the suite that brought `cluster` up. */
export function describeExecAndAttach(cluster: RealCluster): void {
  describe.skipIf(execAttachUnavailable !== undefined)('kubectl exec -i / -it and attach', () => {
    const env = (): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH ?? '',
      HOME: cluster.dir,
      KUBECONFIG: join(cluster.dir, 'admin.kubeconfig'),
    });
    const kubectl = (input: string | undefined, ...args: string[]): Promise<Result> =>
      runWithInput(KUBECTL, args, env(), input);

    beforeAll(async () => {
      const made = await cluster.kubectl(
        'run',
        'box',
        '--image=ksim.local/busybox:1',
        '--restart=Never',
        '--command',
        '--',
        'sleep',
        '3600',
      );
      expect(made.code, made.stderr).toBe(0);
      await until('box Running', 120_000, async () => {
        const r = await cluster.kubectl('get', 'pod', 'box', '-o', 'jsonpath={.status.phase}');
        return r.stdout === 'Running' ? true : undefined;
      });
    }, 240_000);

    it('gives stdin to cat and to busybox sh, and ends them at its end', async () => {
      const hi = await kubectl('hi\n', 'exec', '-i', 'box', '--', 'cat');
      expect(hi, hi.stderr).toMatchObject({ code: 0, stdout: 'hi\n' });
      const sh = await kubectl('echo one\necho two >&2\nexit 4\n', 'exec', '-i', 'box', '--', 'sh');
      expect(sh.code).toBe(4);
      expect(sh.stdout).toBe('one\n');
      expect(sh.stderr).toContain('two\n');
      // Bytes as they are: a line of 100,000 characters comes back whole.
      const long = `${'x'.repeat(100_000)}\n`;
      const wc = await kubectl(long, 'exec', '-i', 'box', '--', 'wc', '-c');
      expect(wc.stdout.trim()).toBe('100001');
    }, 120_000);

    it('gives a pty with -it', async () => {
      const tty = await runOnTerminal(KUBECTL, ['exec', '-it', 'box', '--', 'tty'], env());
      expect(tty.code, tty.stdout).toBe(0);
      // ctr's own pty may add a CR of its own (\r\r\n), which a terminal shows the same.
      expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r+\n$/);
      const typed = await runOnTerminal(KUBECTL, ['exec', '-it', 'box', '--', 'sh'], env(), {
        typing: { ready: '# ', text: 'echo typed-$((6*7))\rexit 5\r' },
      });
      expect(typed.code, typed.stdout).toBe(5);
      expect(typed.stdout).toMatch(/\/ # .*echo typed-\$\(\(6\*7\)\)\r+\ntyped-42\r+\n/);
    }, 120_000);

    // The exec starts on a terminal of kubectl's size (real/runtime/exec-session.ts
    // afterFirstSize): a size set while ctr started it could be lost, and once under CI load
    // `stty size` printed nothing for all ten seconds.
    it('sizes the pty as kubectl terminal', { timeout: 120_000 }, async () => {
      // ctr resizes the container's pty just after it starts the command: it looks a few times.
      const script =
        'for i in 1 2 3 4 5 6 7 8 9 10; do s=$(stty size 2>/dev/null); [ "$s" = "30 100" ] && break; sleep 1; done; echo "$s"';
      const size = await runOnTerminal(
        KUBECTL,
        ['exec', '-it', 'box', '--', 'sh', '-c', script],
        env(),
        {
          size: { cols: 100, rows: 30 },
        },
      );
      expect(size.stdout.trim(), `exit ${size.code}, stderr ${size.stderr}`).toBe('30 100');
    });

    const running = async (name: string): Promise<void> => {
      await until(`${name} Running`, 120_000, async () => {
        const r = await cluster.kubectl('get', 'pod', name, '-o', 'jsonpath={.status.phase}');
        return r.stdout === 'Running' ? true : undefined;
      });
    };
    const apply = async (name: string, yaml: string): Promise<void> => {
      const file = join(cluster.dir, `${name}.yaml`);
      writeFileSync(file, yaml);
      const applied = await cluster.kubectl('apply', '-f', file);
      expect(applied.code, applied.stderr).toBe(0);
      await running(name);
    };
    /**
     * `kubectl attach -i -q pod` typing `input` and ending its stdin once the echo came back:
     * the end of a client's stdin ends its session (no stdinOnce), and what cat gives back
     * after that is not the session's.
     */
    const attachTyping = (pod: string, input: string): Promise<Result> => {
      const attach = runReacting(KUBECTL, ['attach', '-i', '-q', pod], env(), (stdout, stdin) => {
        if (stdout.includes(input)) stdin.end();
      });
      attach.stdin.write(input);
      return attach.done;
    };

    it('kubectl attach streams what the container writes until it exits', async () => {
      // The speaker says it is waiting until the test, once kubectl shows it is attached, lets
      // it speak. The pods the attach -i / -it tests use start with it.
      await apply(
        'speaker',
        `apiVersion: v1
kind: Pod
metadata: {name: speaker}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: ksim.local/busybox:1
    command: [sh, -c, 'until [ -e /tmp/go ]; do echo waiting; sleep 0.2; done; echo one; echo two >&2; sleep 1']
---
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  containers:
  - {name: app, image: ksim.local/busybox:1, command: [cat], stdin: true}
---
apiVersion: v1
kind: Pod
metadata: {name: shell}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: ksim.local/busybox:1
    # Says tick each second (so a client knows it is attached) and runs each line it reads.
    command: [sh, -c, 'while :; do echo tick; if read -t 1 line; then eval "$line"; fi; done']
    stdin: true
    tty: true
`,
      );
      let attached = false;
      const attach = runReacting(KUBECTL, ['attach', 'speaker'], env(), (stdout) => {
        attached = stdout.includes('waiting\n');
      });
      await until('kubectl attach to show what the speaker writes', 60_000, async () =>
        attached ? true : undefined,
      );
      const go = await cluster.kubectl('exec', 'speaker', '--', 'sh', '-c', ': > /tmp/go');
      expect(go.code, go.stderr).toBe(0);
      const r = await attach.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^(waiting\n)+one\n$/);
      expect(r.stderr).toContain('two\n');
    }, 180_000);

    it('kubectl attach -i writes to the stdin of cat, which stays open for the next', async () => {
      await running('reader');
      expect(await attachTyping('reader', 'hi\n')).toMatchObject({ code: 0, stdout: 'hi\n' });
      expect(await attachTyping('reader', 'again\n')).toMatchObject({
        code: 0,
        stdout: 'again\n',
      });
      // Both went to the container's log, which the runtime writes for it.
      const logs = await cluster.kubectl('logs', 'reader');
      expect(logs.stdout).toBe('hi\nagain\n');
    }, 120_000);

    it('kubectl run -i --rm: stdinOnce closes stdin after the attach, cat ends, the pod goes', async () => {
      await expectRunOnceAttachesAndGoes(kubectl, 'ksim.local/busybox:1');
    }, 180_000);

    it('kubectl attach -it types into the shell on the container terminal', async () => {
      await running('shell');
      const r = await runOnTerminal(KUBECTL, ['attach', '-it', 'shell'], env(), {
        typing: { ready: 'tick', text: 'echo typed-$((6*7))\rexit 3\r' },
      });
      expect(r.code, r.stdout).toBe(0);
      // The terminal's echo of what was typed (as it came), and what the line printed.
      expect(r.stdout).toMatch(/echo typed-\$\(\(6\*7\)\)\r+\n/);
      expect(r.stdout).toMatch(/\ntyped-42\r+\n/);
      await until('shell to exit 3', 60_000, async () => {
        const code = await cluster.kubectl(
          'get',
          'pod',
          'shell',
          '-o',
          'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}',
        );
        return code.stdout === '3' ? true : undefined;
      });
    }, 120_000);

    it('publishes the service-account signing key: kubectl get --raw /openid/v1/jwks', async () => {
      const r = await cluster.kubectl('get', '--raw', '/openid/v1/jwks');
      expect(r.code, r.stderr).toBe(0);
      const { keys } = JSON.parse(r.stdout) as { keys: Record<string, string>[] };
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ use: 'sig', kty: 'EC', crv: 'P-256', alg: 'ES256' });
      // The published key verifies the token the cluster signed into the admin kubeconfig.
      const kubeconfig = readFileSync(join(cluster.dir, 'admin.kubeconfig'), 'utf8');
      const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? '';
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const key = createPublicKey({ key: keys[0]!, format: 'jwk' });
      const valid = verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(signature, 'base64url'),
      );
      expect(valid).toBe(true);
      const config = await cluster.kubectl('get', '--raw', '/.well-known/openid-configuration');
      expect(JSON.parse(config.stdout)).toMatchObject({
        jwks_uri: 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks',
        id_token_signing_alg_values_supported: ['ES256'],
      });
    }, 60_000);

    it('kills the exec when the client goes away', async () => {
      const child = runOnTerminal(
        KUBECTL,
        ['exec', '-it', 'box', '--', 'sh', '-c', 'sleep 777'],
        env(),
      );
      const inContainer = async () =>
        (await run('ps', ['-eo', 'pid,args'])).stdout
          .split('\n')
          .filter((l) => / sleep 777$/.test(l) && !l.includes('kubectl'));
      await until('the exec to run', 30_000, async () =>
        (await inContainer()).length > 0 ? true : undefined,
      );
      const kubectlPids = (await run('ps', ['-eo', 'pid,args'])).stdout
        .split('\n')
        .filter((l) => l.includes('exec -it box -- sh -c sleep 777') && l.includes(KUBECTL))
        .map((l) => Number(l.trim().split(/\s+/)[0]));
      for (const pid of kubectlPids) process.kill(pid, 'SIGKILL');
      await child;
      await until('the exec to be gone', 30_000, async () =>
        (await inContainer()).length === 0 ? true : undefined,
      );
    }, 90_000);
  });
}
