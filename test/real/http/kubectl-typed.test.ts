/**
 * The installed kubectl 1.32's typed clients against `ksim serve`: `create deployment|job|
 * cronjob|service|role|...`, `expose`, `scale`, `set image`, `rollout` and `drain` send their
 * objects as protobuf (`application/vnd.kubernetes.protobuf`) and do not fall back to JSON, so
 * each command works only if the front reads that kind's message. Each case asserts what kubectl
 * prints and the object the API server stored; the deployment's pods are seen starting in the
 * trace (`kubelet.pod-started`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

let cluster: ServedCluster;
const TRACE = join(mkdtempSync(join(tmpdir(), 'ksim-kubectl-typed-')), 'trace.jsonl');

async function ok(...args: string[]): Promise<string> {
  try {
    const r = await run(KUBECTL, args, {
      env: { PATH: process.env.PATH ?? '', HOME: cluster.home, KUBECONFIG: cluster.kubeconfig },
      timeout: 60_000,
    });
    return r.stdout;
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr}`);
  }
}

const jsonpath = (kind: string, name: string, path: string): Promise<string> =>
  ok('get', kind, name, '-o', `jsonpath=${path}`);

describe.skipIf(!existsSync(KUBECTL))('kubectl 1.32 typed clients (protobuf bodies)', () => {
  beforeAll(async () => {
    cluster = await serve('scenarios/quickstart.yaml', ['--speed', '10', '--trace', TRACE]);
  });

  afterAll(async () => {
    expect(await cluster.stop()).toBe(0);
    const records = readFileSync(TRACE, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { k: string; pod?: string; verb?: string; path?: string });
    // The deployment kubectl created ran: its pods started on the simulated nodes.
    const started = records.filter(
      (r) => r.k === 'kubelet.pod-started' && r.pod?.startsWith('default/typed-') === true,
    );
    expect(started.length).toBeGreaterThanOrEqual(2);
    // The creates came in as protobuf and were answered 201, traced as any client's request.
    expect(records).toContainEqual(
      expect.objectContaining({
        k: 'api.request',
        verb: 'POST',
        path: '/apis/apps/v1/namespaces/default/deployments',
        code: 201,
      }),
    );
  });

  it('creates a deployment whose pods run, then scales, sets the image and rolls it', async () => {
    expect(
      await ok(
        'create',
        'deployment',
        'typed',
        '--image=busybox',
        '--replicas=2',
        '--',
        'sleep',
        '3600',
      ),
    ).toBe('deployment.apps/typed created\n');
    expect(
      await jsonpath('deployment', 'typed', '{.spec.template.spec.containers[0].command}'),
    ).toBe('["sleep","3600"]');
    expect(await ok('rollout', 'status', 'deployment/typed', '--timeout=60s')).toContain(
      'successfully rolled out',
    );
    const pods = (
      await ok('get', 'pods', '-l', 'app=typed', '-o', 'jsonpath={.items[*].status.phase}')
    )
      .split(' ')
      .filter((p) => p !== '');
    expect(pods).toEqual(['Running', 'Running']);

    expect(await ok('scale', 'deployment', 'typed', '--replicas=3')).toBe(
      'deployment.apps/typed scaled\n',
    );
    expect(await jsonpath('deployment', 'typed', '{.spec.replicas}')).toBe('3');
    expect(await ok('set', 'image', 'deployment/typed', 'busybox=busybox:1.36')).toBe(
      'deployment.apps/typed image updated\n',
    );
    expect(await jsonpath('deployment', 'typed', '{.spec.template.spec.containers[0].image}')).toBe(
      'busybox:1.36',
    );
    expect(await ok('rollout', 'pause', 'deployment/typed')).toBe('deployment.apps/typed paused\n');
    expect(await jsonpath('deployment', 'typed', '{.spec.paused}')).toBe('true');
    expect(await ok('rollout', 'resume', 'deployment/typed')).toBe(
      'deployment.apps/typed resumed\n',
    );
    expect(await ok('rollout', 'restart', 'deployment/typed')).toBe(
      'deployment.apps/typed restarted\n',
    );
    expect(
      await jsonpath(
        'deployment',
        'typed',
        "{.spec.template.metadata.annotations['kubectl\\.kubernetes\\.io/restartedAt']}",
      ),
    ).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await ok('rollout', 'undo', 'deployment/typed')).toBe(
      'deployment.apps/typed rolled back\n',
    );

    expect(await ok('expose', 'deployment', 'typed', '--port=80', '--target-port=8080')).toBe(
      'service/typed exposed\n',
    );
    expect(
      await jsonpath(
        'service',
        'typed',
        '{.spec.ports[0].port}/{.spec.ports[0].targetPort}/{.spec.selector.app}',
      ),
    ).toBe('80/8080/typed');
  });

  it('prints rollout history, sorted events in custom columns, describes, and taints a node', async () => {
    const history = (await ok('rollout', 'history', 'deployment/typed')).trim().split('\n');
    expect(history[0]).toBe('deployment.apps/typed ');
    expect(history[1]).toMatch(/^REVISION\s+CHANGE-CAUSE$/);
    const revisions = history.slice(2).map((l) => Number(l.split(/\s+/)[0]));
    expect(revisions.length).toBeGreaterThanOrEqual(2);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));

    const events = (
      await ok(
        'get',
        'events',
        '--sort-by=.metadata.creationTimestamp',
        '-o',
        'custom-columns=CREATED:.metadata.creationTimestamp,REASON:.reason',
      )
    )
      .trim()
      .split('\n');
    expect(events[0]).toMatch(/^CREATED\s+REASON$/);
    const times = events.slice(1).map((l) => l.split(/\s+/)[0] ?? '');
    expect(times.length).toBeGreaterThan(3);
    expect(times).toEqual([...times].sort());

    const described = await ok('describe', 'deployment', 'typed');
    expect(described).toMatch(/^Name:\s+typed$/m);
    expect(described).toMatch(/^Replicas:\s+3 desired \| /m);
    expect(described).toMatch(/^StrategyType:\s+RollingUpdate$/m);

    expect(await ok('taint', 'nodes', 'node-3', 'dedicated=infra:NoSchedule')).toBe(
      'node/node-3 tainted\n',
    );
    expect(await jsonpath('node', 'node-3', '{.spec.taints[?(@.key=="dedicated")].effect}')).toBe(
      'NoSchedule',
    );
    expect(await ok('taint', 'nodes', 'node-3', 'dedicated-')).toBe('node/node-3 untainted\n');
    expect(await jsonpath('node', 'node-3', '{.spec.taints}')).toBe('');
  });

  it('creates jobs, cronjobs, services, quotas and priority classes', async () => {
    expect(await ok('create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi')).toBe(
      'job.batch/once created\n',
    );
    expect(await jsonpath('job', 'once', '{.spec.template.spec.containers[0].command}')).toBe(
      '["echo","hi"]',
    );
    expect(
      await ok(
        'create',
        'cronjob',
        'tick',
        '--image=busybox',
        '--schedule=*/5 * * * *',
        '--',
        'date',
      ),
    ).toBe('cronjob.batch/tick created\n');
    expect(await jsonpath('cronjob', 'tick', '{.spec.schedule}')).toBe('*/5 * * * *');
    expect(await ok('create', 'service', 'clusterip', 'svc1', '--tcp=80:8080')).toBe(
      'service/svc1 created\n',
    );
    expect(await jsonpath('service', 'svc1', '{.spec.type} {.spec.ports[0].targetPort}')).toBe(
      'ClusterIP 8080',
    );
    expect(await ok('create', 'quota', 'q1', '--hard=cpu=2,pods=10')).toBe(
      'resourcequota/q1 created\n',
    );
    expect(await jsonpath('quota', 'q1', '{.spec.hard.cpu} {.spec.hard.pods}')).toBe('2 10');
    expect(await ok('create', 'priorityclass', 'high', '--value=1000')).toBe(
      'priorityclass.scheduling.k8s.io/high created\n',
    );
    expect(await jsonpath('priorityclass', 'high', '{.value}')).toBe('1000');
    expect(
      await ok(
        'create',
        'poddisruptionbudget',
        'pdb1',
        '--selector=app=typed',
        '--min-available=50%',
      ),
    ).toBe('poddisruptionbudget.policy/pdb1 created\n');
    expect(await jsonpath('pdb', 'pdb1', '{.spec.minAvailable}')).toBe('50%');
    expect(await ok('create', 'ingress', 'ing1', '--rule=foo.com/bar=svc1:80')).toBe(
      'ingress.networking.k8s.io/ing1 created\n',
    );
    expect(
      await jsonpath(
        'ingress',
        'ing1',
        '{.spec.rules[0].host} {.spec.rules[0].http.paths[0].backend.service.name}',
      ),
    ).toBe('foo.com svc1');
  });

  it('creates roles, cluster roles and their bindings', async () => {
    expect(await ok('create', 'serviceaccount', 'robot')).toBe('serviceaccount/robot created\n');
    expect(await ok('create', 'role', 'reader', '--verb=get,list', '--resource=pods')).toBe(
      'role.rbac.authorization.k8s.io/reader created\n',
    );
    expect(await jsonpath('role', 'reader', '{.rules[0].verbs}')).toBe('["get","list"]');
    expect(
      await ok(
        'create',
        'rolebinding',
        'reader',
        '--role=reader',
        '--serviceaccount=default:robot',
      ),
    ).toBe('rolebinding.rbac.authorization.k8s.io/reader created\n');
    expect(
      await ok('auth', 'can-i', 'list', 'pods', '--as=system:serviceaccount:default:robot'),
    ).toBe('yes\n');
    expect(await ok('create', 'clusterrole', 'node-reader', '--verb=get', '--resource=nodes')).toBe(
      'clusterrole.rbac.authorization.k8s.io/node-reader created\n',
    );
    expect(
      await ok(
        'create',
        'clusterrolebinding',
        'node-reader',
        '--clusterrole=node-reader',
        '--user=bob',
      ),
    ).toBe('clusterrolebinding.rbac.authorization.k8s.io/node-reader created\n');
    expect(await jsonpath('clusterrolebinding', 'node-reader', '{.subjects[0].name}')).toBe('bob');
  });

  it('adds an ephemeral container with kubectl debug, which the kubelet reports it does not run', async () => {
    const name = (
      await ok('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}')
    ).trim();
    expect(name).not.toBe('');
    await ok('debug', name, '--image=busybox:1.36', '--container=dbg', '--target=nginx');
    expect(await jsonpath('pod', name, '{.spec.ephemeralContainers[0].name}')).toBe('dbg');
    expect(await jsonpath('pod', name, '{.spec.ephemeralContainers[0].targetContainerName}')).toBe(
      'nginx',
    );
    let events = '';
    for (let i = 0; i < 100 && !events.includes(name); i++) {
      events = await ok(
        'get',
        'events',
        '--field-selector',
        'reason=EphemeralContainerIgnored',
        '-o',
        'jsonpath={.items[*].involvedObject.name}',
      );
      if (!events.includes(name)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(events).toContain(name);
  });

  it('drains a node through evictions', async () => {
    const out = await ok('drain', 'node-3', '--ignore-daemonsets', '--timeout=60s');
    expect(out).toContain('node/node-3 drained');
    expect(out).toMatch(/pod\/\S+ evicted/);
    expect(
      await ok('get', 'pods', '-A', '--field-selector=spec.nodeName=node-3', '-o', 'name'),
    ).toBe('');
  });
});
