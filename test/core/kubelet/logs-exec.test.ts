/**
 * pods/log and pods/exec through the API server to the kubelet and the simulated runtime:
 * the options of `kubectl logs` (container, follow, previous, tailLines, sinceSeconds,
 * timestamps, limitBytes) with upstream's refusals, exec's output and error-channel Status,
 * and the RBAC checks of pods/exec (create, and get for a WebSocket GET).
 */
import { describe, expect, it } from 'vitest';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { COMMAND_SEPARATOR } from '../../../core/api/kinds/pod-streams.ts';
import { API_STREAM_PROTOCOL, type StreamFrame } from '../../../core/api/node-stream.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import { ADMIN_IDENTITY } from '../../../core/cluster/identities.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { pod, podInPhase, waitFor } from './harness.ts';

const ADMIN = `Bearer ${issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY)}`;

interface Collected {
  readonly frames: StreamFrame[];
  /** Standard output and error as one text, in order. */
  readonly text: string;
  readonly closedAtUs: number;
}

/** Opens a stream and collects its frames until the server closes it. */
function collect(
  ports: ProcessPorts,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string>,
  authorization = ADMIN,
): Promise<Collected> {
  return new Promise((resolve) => {
    const frames: StreamFrame[] = [];
    ports.transport.openStream(
      API_STREAM_PROTOCOL,
      API_SERVER,
      { kind: 'http', method, path, query, authorization },
      {
        onMessage: (f) => frames.push(f),
        onClose: () =>
          resolve({
            frames,
            text: frames.map((f) => (f.kind === 'data' ? f.data : '')).join(''),
            closedAtUs: ports.clock.now(),
          }),
      },
    );
  });
}

const running = (api: ApiClient, ports: ProcessPorts, name: string): Promise<Pod> =>
  waitFor(ports, `${name} Running`, podInPhase(api, name, 'Running'), 60_000_000);

const logPath = (name: string): string => `/api/v1/namespaces/default/pods/${name}/log`;
const execPath = (name: string): string => `/api/v1/namespaces/default/pods/${name}/exec`;

function shPod(name: string, script: string, extra: Partial<Pod['spec']> = {}): Pod {
  const base = pod(name, extra);
  return {
    ...base,
    spec: {
      ...base.spec,
      containers: [{ ...base.spec.containers[0]!, command: ['sh', '-c', script] }],
    },
  };
}

function refusalOf(c: Collected): { code: number; message: string } | undefined {
  const f = c.frames[0];
  if (f?.kind !== 'error') return undefined;
  const body = f.response.body as { message?: string };
  return { code: f.response.status, message: body.message ?? '' };
}

describe('pods/log', () => {
  it('serves what the container wrote, with tailLines, limitBytes, timestamps and since', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      const created = await api.create(
        shPod('talker', 'echo hello; sleep 2; echo world; sleep 3600'),
      );
      expect(created.ok).toBe(true);
      await running(api, ports, 'talker');
      await ports.clock.sleep(3_000_000);
      const all = await collect(ports, 'GET', logPath('talker'), {});
      expect(all.frames[0]).toEqual({ kind: 'start' });
      expect(all.text).toBe('hello\nworld\n');

      expect((await collect(ports, 'GET', logPath('talker'), { tailLines: '1' })).text).toBe(
        'world\n',
      );
      expect((await collect(ports, 'GET', logPath('talker'), { limitBytes: '8' })).text).toBe(
        'hello\nwo',
      );
      const stamped = await collect(ports, 'GET', logPath('talker'), { timestamps: 'true' });
      const lines = stamped.text.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      for (const l of lines)
        expect(l).toMatch(/^2026-01-01T00:00:\d{2}(\.\d{1,9})?Z (hello|world)$/);
      const recent = await collect(ports, 'GET', logPath('talker'), { sinceSeconds: '2' });
      expect(recent.text).toBe('world\n');
      const bad = await collect(ports, 'GET', logPath('talker'), { tailLines: '-1' });
      expect(refusalOf(bad)).toEqual({
        code: 422,
        message:
          'PodLogOptions "talker" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
      });
    });
  });

  it('follows until the container ends, and serves the previous instance', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(shPod('once', 'echo a; sleep 2; echo b; sleep 1; exit 1'));
      await running(api, ports, 'once');
      const opened = ports.clock.now();
      const followed = await collect(ports, 'GET', logPath('once'), { follow: 'true' });
      expect(followed.text).toBe('a\nb\n');
      // Closed once the container exited (3 s after its start), not at once.
      expect(followed.closedAtUs - opened).toBeGreaterThan(1_000_000);

      const none = await collect(ports, 'GET', logPath('once'), { previous: 'true' });
      expect(refusalOf(none)).toEqual({
        code: 400,
        message: 'previous terminated container "app" in pod "once" not found',
      });
      await waitFor(
        ports,
        'a restart',
        async () => {
          const r = await api.get('Pod', 'default', 'once');
          return r.ok && (r.value.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1
            ? true
            : undefined;
        },
        120_000_000,
      );
      const previous = await collect(ports, 'GET', logPath('once'), { previous: 'true' });
      expect(previous.text).toBe('a\nb\n');
    });
  });

  it('needs a container name when the pod has several, as upstream says', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      const base = pod('two');
      const first = base.spec.containers[0]!;
      await api.create({
        ...base,
        spec: { ...base.spec, containers: [first, { ...first, name: 'side' }] },
      });
      const r = await collect(ports, 'GET', logPath('two'), {});
      expect(refusalOf(r)).toEqual({
        code: 400,
        message: 'a container name must be specified for pod two, choose one of: [app side]',
      });
      const wrong = await collect(ports, 'GET', logPath('two'), { container: 'nope' });
      expect(refusalOf(wrong)?.message).toBe('container nope is not valid for pod two');
    });
  });

  it('writes declared lines at seeded moments, the same for the same seed', async () => {
    const logsOf = async (seed: number): Promise<string> => {
      const sim = controlPlane({ seed });
      spawnNode(sim);
      let text = '';
      await runScript(sim, async (api, ports) => {
        const base = pod('chatty');
        const c = base.spec.containers[0]!;
        await api.create({
          ...base,
          spec: {
            ...base.spec,
            containers: [{ ...c, env: [{ name: 'KSIM_LOG_LINES_PER_SECOND', value: '2' }] }],
          },
        });
        await running(api, ports, 'chatty');
        await ports.clock.sleep(10_000_000);
        text = (await collect(ports, 'GET', logPath('chatty'), { timestamps: 'true' })).text;
      });
      return text;
    };
    const a = await logsOf(7);
    expect(a).toMatch(/ app line 1\n/);
    expect(a.split('\n').length).toBeGreaterThan(5);
    expect(await logsOf(7)).toBe(a);
    expect(await logsOf(8)).not.toBe(a);
  });
});

describe('pods/exec', () => {
  const command = (...argv: string[]): Record<string, string> => ({
    command: argv.join(COMMAND_SEPARATOR),
    stdout: 'true',
    stderr: 'true',
  });

  it('runs modelled commands, reports exit codes and refuses unknown programs', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      const base = pod('box');
      const c = base.spec.containers[0]!;
      await api.create({
        ...base,
        spec: { ...base.spec, containers: [{ ...c, env: [{ name: 'GREETING', value: 'hi' }] }] },
      });
      await running(api, ports, 'box');
      const hi = await collect(ports, 'POST', execPath('box'), command('echo', 'hi'));
      expect(hi.frames).toEqual([
        { kind: 'start' },
        { kind: 'data', channel: 'stdout', data: 'hi\n' },
        { kind: 'end', status: { metadata: {}, status: 'Success' } },
      ]);
      const env = await collect(ports, 'POST', execPath('box'), command('printenv', 'GREETING'));
      expect(env.text).toBe('hi\n');
      const three = await collect(ports, 'POST', execPath('box'), command('sh', '-c', 'exit 3'));
      const end = three.frames.at(-1);
      expect(end?.kind === 'end' && end.status.reason).toBe('NonZeroExitCode');
      expect(end?.kind === 'end' && end.status.details?.causes).toEqual([
        { reason: 'ExitCode', message: '3' },
      ]);
      const missing = await collect(ports, 'POST', execPath('box'), command('sh', '-c', 'nosuch'));
      expect(missing.text).toBe('sh: nosuch: not found\n');
      const notInImage = await collect(ports, 'POST', execPath('box'), command('nosuch'));
      const failed = notInImage.frames.at(-1);
      expect(failed?.kind === 'end' && failed.status.reason).toBe('InternalError');
      expect(failed?.kind === 'end' && failed.status.message).toContain(
        'exec: "nosuch": executable file not found in $PATH',
      );
      const noCommand = await collect(ports, 'POST', execPath('box'), { stdout: 'true' });
      expect(refusalOf(noCommand)?.code).toBe(400);
    });
  });

  it('needs create on pods/exec, and get as well for a GET', async () => {
    const sim = controlPlane({ secure: true });
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(pod('box'));
      await running(api, ports, 'box');
      const role = (name: string, verbs: string[]) => ({
        apiVersion: 'rbac.authorization.k8s.io/v1' as const,
        kind: 'Role' as const,
        metadata: { name, namespace: 'default' },
        rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs }],
      });
      const binding = (name: string, user: string) => ({
        apiVersion: 'rbac.authorization.k8s.io/v1' as const,
        kind: 'RoleBinding' as const,
        metadata: { name, namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      });
      for (const [name, verbs] of [
        ['getter', ['get']],
        ['creator', ['create']],
        ['both', ['get', 'create']],
      ] as const) {
        expect((await api.create(role(name, [...verbs]))).ok).toBe(true);
        expect((await api.create(binding(name, name))).ok).toBe(true);
      }
      const as = (user: string) =>
        `Bearer ${issueClientCredential(SIM_SIGNER, { user, groups: [] })}`;
      const q = command('echo', 'x');
      const getter = await collect(ports, 'GET', execPath('box'), q, as('getter'));
      expect(refusalOf(getter)).toEqual({
        code: 403,
        message:
          'pods "box" is forbidden: User "getter" cannot create resource "pods/exec" in API group "" in the namespace "default"',
      });
      const creatorGet = await collect(ports, 'GET', execPath('box'), q, as('creator'));
      expect(refusalOf(creatorGet)?.code).toBe(403);
      expect((await collect(ports, 'POST', execPath('box'), q, as('creator'))).text).toBe('x\n');
      expect((await collect(ports, 'GET', execPath('box'), q, as('both'))).text).toBe('x\n');
    });
  });
});
