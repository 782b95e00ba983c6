/**
 * The installed kubectl 1.32 against `ksim serve scenarios/quickstart.yaml`: discovery, server-side
 * printing, the output formats, client-side and server-side apply, the patch types, watch, access
 * reviews and the typed clients' protobuf bodies. Each case asserts what kubectl prints.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { makeServingCertificates, signClientCertificate } from '../../../real/http/certificates.ts';
import { serve, type ServedCluster } from './serve-process.ts';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

let cluster: ServedCluster;
const TRACE_DIR = mkdtempSync(join(tmpdir(), 'ksim-kubectl-trace-'));
const TRACE = join(TRACE_DIR, 'trace.jsonl');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function kubectl(...args: string[]): Promise<Result> {
  try {
    const r = await run(KUBECTL, args, {
      env: { PATH: process.env.PATH ?? '', HOME: cluster.home, KUBECONFIG: cluster.kubeconfig },
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** kubectl that must succeed: its standard output. */
async function ok(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const columns = (line: string): string[] => line.trim().split(/\s{2,}/);

describe.skipIf(!existsSync(KUBECTL))('kubectl 1.32 against ksim serve', () => {
  beforeAll(async () => {
    // Ten times real time: the quickstart's pods run within a second or two of wall time.
    cluster = await serve('scenarios/quickstart.yaml', ['--speed', '10', '--trace', TRACE]);
  });

  afterAll(async () => {
    const code = await cluster.stop();
    expect(code).toBe(0);
    // A clean shutdown prints the run's summary and flushes the trace, where the API server
    // recorded kubectl's requests as any client's.
    expect(cluster.output()).toMatch(/scenario quickstart {2}seed 1/);
    expect(cluster.output()).toContain('PASS  five web pods Running');
    const records = readFileSync(TRACE, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { k: string });
    expect(records).toContainEqual(
      expect.objectContaining({
        k: 'api.request',
        verb: 'POST',
        path: '/api/v1/namespaces/team/configmaps',
        code: 201,
        user: 'kubernetes-admin',
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        k: 'api.request',
        path: '/api/v1/namespaces/default/pods',
        user: 'jane',
        code: 403,
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({ k: 'api.watch', path: '/api/v1/namespaces/watched/configmaps' }),
    );
    rmSync(TRACE_DIR, { recursive: true, force: true });
  });

  it('serves over HTTPS with the kubeconfig it wrote, as a 1.32 server', async () => {
    expect(cluster.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await ok('version')).toContain('Server Version: v1.32.0+ksim');
  });

  it('lists resources and versions from discovery', async () => {
    const resources = (await ok('api-resources')).split('\n');
    expect(columns(resources[0] ?? '')).toEqual([
      'NAME',
      'SHORTNAMES',
      'APIVERSION',
      'NAMESPACED',
      'KIND',
    ]);
    const rows = resources.map(columns);
    expect(rows).toContainEqual(['pods', 'po', 'v1', 'true', 'Pod']);
    expect(rows).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    expect(rows).toContainEqual(['nodes', 'no', 'v1', 'false', 'Node']);
    // Aggregated discovery: the whole API in two requests, the metrics group included.
    const traced = await kubectl(
      'api-resources',
      '--cache-dir',
      join(cluster.home, 'fresh'),
      '-v=6',
    );
    expect(traced.code).toBe(0);
    const gets = [...traced.stderr.matchAll(/GET https:\/\/[^/]+(\/[^? ]*)/g)].map((m) => m[1]);
    expect(gets).toEqual(['/api', '/apis']);
    expect(traced.stdout.split('\n').map(columns)).toContainEqual([
      'nodes',
      'metrics.k8s.io/v1beta1',
      'false',
      'NodeMetrics',
    ]);
    const versions = (await ok('api-versions')).trim().split('\n');
    expect(versions).toEqual(
      expect.arrayContaining(['v1', 'apps/v1', 'batch/v1', 'rbac.authorization.k8s.io/v1']),
    );
  });

  it('prints pods -o wide with the columns of a real cluster', async () => {
    let lines: string[] = [];
    // The scenario's ReplicaSet is created and its pods start as the simulation runs.
    for (let i = 0; i < 100; i++) {
      lines = (await ok('get', 'pods', '-o', 'wide')).trim().split('\n');
      if (lines.length === 6 && lines.slice(1).every((l) => columns(l)[2] === 'Running')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(columns(lines[0] ?? '')).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(lines).toHaveLength(6);
    for (const line of lines.slice(1)) {
      const [name, ready, status, restarts, age, ip, node, nominated, gates] = columns(line);
      expect(name).toMatch(/^web-[a-z0-9]{5}$/);
      expect([ready, status, restarts, nominated, gates]).toEqual([
        '1/1',
        'Running',
        '0',
        '<none>',
        '<none>',
      ]);
      expect(age).toMatch(/^\d+(s|m\d*s?)$/);
      expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(node).toMatch(/^node-[123]$/);
    }
  });

  it('prints -o json, -o yaml and -o name', async () => {
    const list = JSON.parse(await ok('get', 'pods', '-l', 'app=web', '-o', 'json')) as {
      kind: string;
      items: { kind: string; metadata: { labels: Record<string, string> } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(5);
    expect(list.items.every((p) => p.kind === 'Pod' && p.metadata.labels.app === 'web')).toBe(true);
    const names = (await ok('get', 'pods', '-o', 'name')).trim().split('\n');
    expect(names).toHaveLength(5);
    for (const n of names) expect(n).toMatch(/^pod\/web-[a-z0-9]{5}$/);
    const yaml = await ok('get', 'node', 'node-1', '-o', 'yaml');
    expect(yaml).toMatch(/^apiVersion: v1\nkind: Node\n/);
    expect(yaml).toContain('name: node-1');
  });

  it('describes, selects by field across namespaces, annotates and cordons', async () => {
    const pods = (await ok('get', 'pods', '-o', 'name')).trim().split('\n');
    const described = await ok('describe', pods[0] ?? '');
    expect(described).toMatch(/^Name: +web-[a-z0-9]{5}\nNamespace: +default\n/);
    expect(described).toMatch(/Controlled By: +ReplicaSet\/web/);
    expect(described).toMatch(/Status: +Running/);
    const onNode = (await ok('get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-1'))
      .trim()
      .split('\n');
    expect(columns(onNode[0] ?? '').slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    const everywhere = JSON.parse(await ok('get', 'pods', '-A', '-o', 'json')) as {
      items: { spec: { nodeName?: string } }[];
    };
    const expected = everywhere.items.filter((p) => p.spec.nodeName === 'node-1').length;
    expect(onNode.length - 1).toBe(expected);
    expect(await ok('annotate', 'replicaset', 'web', 'owner=team-a')).toBe(
      'replicaset.apps/web annotated\n',
    );
    expect(await ok('get', 'rs', 'web', '-o', 'jsonpath={.metadata.annotations.owner}')).toBe(
      'team-a',
    );
    expect(await ok('cordon', 'node-3')).toBe('node/node-3 cordoned\n');
    const nodes = (await ok('get', 'nodes')).trim().split('\n').map(columns);
    expect(nodes.find((n) => n[0] === 'node-3')?.[1]).toBe('Ready,SchedulingDisabled');
    expect(await ok('uncordon', 'node-3')).toBe('node/node-3 uncordoned\n');
  });

  it('applies a multi-document manifest: created, then configured and unchanged', async () => {
    const manifest = (value: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: default
data:
  a: "${value}"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: c
        image: nginx:1.25
`;
    const file = join(cluster.home, 'manifest.yaml');
    writeFileSync(file, manifest('1'));
    expect((await ok('apply', '-f', file)).trim().split('\n')).toEqual([
      'configmap/cfg created',
      'deployment.apps/api created',
    ]);
    writeFileSync(file, manifest('2'));
    expect((await ok('apply', '-f', file)).trim().split('\n')).toEqual([
      'configmap/cfg configured',
      'deployment.apps/api unchanged',
    ]);
    expect(await ok('get', 'configmap', 'cfg', '-o', 'jsonpath={.data.a}')).toBe('2');
    const lastApplied = await ok(
      'get',
      'configmap',
      'cfg',
      '-o',
      'jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}',
    );
    expect(JSON.parse(lastApplied)).toMatchObject({ data: { a: '2' } });

    writeFileSync(file, manifest('3'));
    // A server-side apply that changes a value client-side apply set conflicts, as upstream's.
    const conflict = await kubectl('apply', '--server-side', '-f', file);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a',
    );
    expect(
      (await ok('apply', '--server-side', '--force-conflicts', '-f', file)).trim().split('\n'),
    ).toEqual(['configmap/cfg serverside-applied', 'deployment.apps/api serverside-applied']);
    const managers = JSON.parse(
      await ok(
        'get',
        'configmap',
        'cfg',
        '--show-managed-fields',
        '-o',
        'jsonpath={.metadata.managedFields}',
      ),
    ) as { manager: string; operation: string }[];
    expect(managers).toContainEqual(
      expect.objectContaining({ manager: 'kubectl', operation: 'Apply' }),
    );
    expect(await ok('get', 'configmap', 'cfg', '-o', 'jsonpath={.data.a}')).toBe('3');
  });

  it('applies a CustomResourceDefinition, waits for it, and serves its custom resources', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        description: A CronTab runs a command on a schedule.
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: {type: string, description: The schedule in cron format.}
              replicas: {type: integer, default: 1}
`;
    const instance = (spec: string): string => `apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: my-cron, namespace: default}
spec:
  cronSpec: "${spec}"
`;
    const crdFile = join(cluster.home, 'crd.yaml');
    const crFile = join(cluster.home, 'cr.yaml');
    writeFileSync(crdFile, crd);
    expect((await ok('apply', '-f', crdFile)).trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created',
    );
    expect(
      (
        await ok('wait', '--for', 'condition=established', 'crd/crontabs.stable.example.com')
      ).trim(),
    ).toBe(
      'customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com condition met',
    );
    writeFileSync(crFile, instance('* * * * */5'));
    expect((await ok('apply', '-f', crFile)).trim()).toBe(
      'crontab.stable.example.com/my-cron created',
    );
    writeFileSync(crFile, instance('*/10 * * * *'));
    expect((await ok('apply', '-f', crFile)).trim()).toBe(
      'crontab.stable.example.com/my-cron configured',
    );
    // explain reads the CRD's schema from /openapi/v3/apis/stable.example.com/v1.
    expect(await ok('explain', 'crontab.spec')).toBe(`GROUP:      stable.example.com
KIND:       CronTab
VERSION:    v1

FIELD: spec <Object>


DESCRIPTION:
    <empty>
FIELDS:
  cronSpec\t<string> -required-
    The schedule in cron format.

  replicas\t<integer>
    <no description>


`);
    expect(await ok('explain', 'ct')).toContain(
      'DESCRIPTION:\n    A CronTab runs a command on a schedule.\n',
    );
    const rows = (await ok('get', 'ct')).trim().split('\n').map(columns);
    expect(rows).toEqual([
      ['NAME', 'SPEC', 'REPLICAS'],
      ['my-cron', '*/10 * * * *', '1'],
    ]);
    // kubectl patch's default, a strategic merge patch, is refused for a custom resource.
    const smp = await kubectl('patch', 'ct', 'my-cron', '-p', '{"spec":{"replicas":2}}');
    expect(smp.code).toBe(1);
    expect(smp.stderr.trim()).toBe(
      'error: application/strategic-merge-patch+json is not supported by stable.example.com/v1, Kind=CronTab: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    const bogus = await kubectl(
      'patch',
      'ct',
      'my-cron',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":"many"}}',
    );
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain(
      'The CronTab "my-cron" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    );
    expect((await ok('delete', '-f', crdFile)).trim()).toBe(
      'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted',
    );
  });

  it('explains built-in kinds from the OpenAPI v3 schemas', async () => {
    const containers = await ok('explain', 'pod.spec.containers');
    expect(containers).toMatch(
      /^KIND: {7}Pod\nVERSION: {4}v1\n\nFIELD: containers <\[\]Container>\n\n\nDESCRIPTION:\n {4}List of containers belonging to the pod\./,
    );
    expect(containers).toContain(
      '\n  name\t<string> -required-\n    Name of the container specified as a DNS_LABEL.',
    );
    expect(containers).toContain('\n  env\t<[]EnvVar>\n');
    expect(containers).toContain('\n  resources\t<ResourceRequirements>\n');
    expect(await ok('explain', 'pod.spec.containers.resources.limits')).toContain(
      'FIELD: limits <map[string]Quantity>',
    );
    const rolling = await ok('explain', 'deployment.spec.strategy.rollingUpdate');
    expect(rolling).toMatch(/^GROUP: {6}apps\nKIND: {7}Deployment\nVERSION: {4}v1\n/);
    expect(rolling).toContain('\n  maxSurge\t<IntOrString>\n    The maximum number of pods');
    const service = await ok('explain', 'service.spec.ports');
    expect(service).toContain('FIELD: ports <[]ServicePort>');
    expect(service).toContain('\n  port\t<integer> -required-\n');
    const recursive = await ok('explain', 'service', '--recursive');
    expect(recursive).toMatch(
      /\n {2}spec\t<ServiceSpec>\n {4}allocateLoadBalancerNodePorts\t<boolean>\n/,
    );
  });

  it('validates fields strictly: an unknown field is refused, or a warning with --validate=warn', async () => {
    const manifest = `apiVersion: v1
kind: ConfigMap
metadata:
  name: strict
  namespace: default
  labells: {a: b}
data: {a: "1"}
`;
    const file = join(cluster.home, 'strict.yaml');
    writeFileSync(file, manifest);
    const refused = await kubectl('apply', '--validate=strict', '-f', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `Error from server (BadRequest): error when creating "${file}": strict decoding error: unknown field "metadata.labells"`,
    );
    const warned = await kubectl('apply', '--validate=warn', '-f', file);
    expect([warned.code, warned.stdout, warned.stderr]).toEqual([
      0,
      'configmap/strict created\n',
      'Warning: unknown field "metadata.labells"\n',
    ]);
  });

  it('edits with an EDITOR script: the change is patched, an unknown field refused', async () => {
    const editor = (name: string, sed: string): string => {
      const path = join(cluster.home, name);
      writeFileSync(path, `#!/bin/sh\nsed -i '${sed}' "$1"\n`, { mode: 0o755 });
      return path;
    };
    await ok('create', 'configmap', 'edited', '--from-literal=k=before');
    const edit = async (script: string): Promise<Result> => {
      try {
        const r = await run(KUBECTL, ['edit', 'configmap', 'edited'], {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: cluster.home,
            KUBECONFIG: cluster.kubeconfig,
            EDITOR: script,
          },
          timeout: 60_000,
        });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
      }
    };
    expect((await edit(editor('change.sh', 's/k: before/k: after/'))).stdout).toBe(
      'configmap/edited edited\n',
    );
    expect(await ok('get', 'configmap', 'edited', '-o', 'jsonpath={.data.k}')).toBe('after');
    const bogus = await edit(editor('bogus.sh', 's/^data:/bogus: 1\\ndata:/'));
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain(
      'error: configmaps "edited" could not be patched: strict decoding error: unknown field "bogus"',
    );
  });

  it('patches with each patch type, labels and scales', async () => {
    await ok('create', 'configmap', 'patched', '--from-literal=a=1');
    expect(await ok('patch', 'configmap', 'patched', '-p', '{"data":{"b":"2"}}')).toContain(
      'configmap/patched patched',
    );
    await ok('patch', 'configmap', 'patched', '--type=merge', '-p', '{"data":{"c":"3"}}');
    await ok(
      'patch',
      'configmap',
      'patched',
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/a"}]',
    );
    expect(JSON.parse(await ok('get', 'configmap', 'patched', '-o', 'jsonpath={.data}'))).toEqual({
      b: '2',
      c: '3',
    });
    expect(await ok('label', 'configmap', 'patched', 'env=prod')).toContain(
      'configmap/patched labeled',
    );
    const labelled = (await ok('get', 'configmaps', '-l', 'env=prod')).trim().split('\n');
    expect(labelled.map(columns)).toEqual([
      ['NAME', 'DATA', 'AGE'],
      ['patched', '2', expect.stringMatching(/^\d+s$/)],
    ]);
    expect(await ok('scale', 'replicaset', 'web', '--replicas=6')).toContain(
      'replicaset.apps/web scaled',
    );
    expect(await ok('get', 'rs', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('6');
  });

  it('creates namespaces, configmaps and secrets through the typed clients (protobuf bodies)', async () => {
    expect(await ok('create', 'namespace', 'team')).toBe('namespace/team created\n');
    expect(await ok('create', 'configmap', 'c2', '-n', 'team', '--from-literal=x=1')).toBe(
      'configmap/c2 created\n',
    );
    expect(await ok('create', 'secret', 'generic', 's1', '-n', 'team', '--from-literal=p=q')).toBe(
      'secret/s1 created\n',
    );
    expect(await ok('get', 'secret', 's1', '-n', 'team', '-o', 'jsonpath={.data.p}')).toBe(
      Buffer.from('q').toString('base64'),
    );
    const namespaces = (await ok('get', 'namespaces', '-o', 'name')).trim().split('\n');
    expect(namespaces).toEqual(expect.arrayContaining(['namespace/default', 'namespace/team']));
  });

  it('creates a token for a service account (the token subresource, a protobuf body)', async () => {
    expect(await ok('create', 'serviceaccount', 'builder', '-n', 'team')).toBe(
      'serviceaccount/builder created\n',
    );
    const token = (
      await ok('create', 'token', 'builder', '-n', 'team', '--duration=20m', '--audience=ksim')
    ).trim();
    const payload = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { sub: string; aud: string[]; exp: number; iat: number };
    expect(payload).toMatchObject({ sub: 'system:serviceaccount:team:builder', aud: ['ksim'] });
    expect(payload.exp - payload.iat).toBe(1200);
  });

  it('finds the served CA in every namespace (the root CA publisher)', async () => {
    const ca = await ok(
      'get',
      'configmap',
      'kube-root-ca.crt',
      '-n',
      'team',
      '-o',
      'jsonpath={.data.ca\\.crt}',
    );
    expect(ca).toContain('-----BEGIN CERTIFICATE-----');
    const config = readFileSync(cluster.kubeconfig, 'utf8');
    const served = /certificate-authority-data: (\S+)/.exec(config)?.[1] ?? '';
    expect(Buffer.from(served, 'base64').toString('utf8').trim()).toBe(ca.trim());
  });

  it('deletes, and the object is gone', async () => {
    await ok('create', 'configmap', 'doomed', '--from-literal=a=1');
    expect(await ok('delete', 'configmap', 'doomed', '--wait=true')).toBe(
      'configmap "doomed" deleted\n',
    );
    const r = await kubectl('get', 'configmap', 'doomed');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error from server (NotFound): configmaps "doomed" not found');
  });

  it('watches with get -w until its request timeout', async () => {
    const watch = kubectl('get', 'configmaps', '-n', 'watched', '-w', '--request-timeout=4s');
    await ok('create', 'namespace', 'watched');
    // The watch starts after its list; creating after a pause lets it see the creation as an event.
    await new Promise((r) => setTimeout(r, 1000));
    await ok('create', 'configmap', 'seen', '-n', 'watched', '--from-literal=a=1');
    const r = await watch;
    const rows = r.stdout.trim().split('\n').map(columns);
    expect(rows[0]).toEqual(['NAME', 'DATA', 'AGE']);
    expect(rows.slice(1).map((row) => row[0])).toContain('seen');
  });

  it('answers auth can-i: yes for the admin, no for a user without roles', async () => {
    const yes = await kubectl('auth', 'can-i', 'create', 'pods');
    expect([yes.code, yes.stdout]).toEqual([0, 'yes\n']);
    // A bearer token (a kubeconfig without the admin's certificate, which would win).
    const token = issueClientCredential(SIM_SIGNER, { user: 'jane', groups: [] });
    const jane = kubeconfigAs('jane', { token });
    const no = await kubectl('--kubeconfig', jane, 'auth', 'can-i', 'create', 'pods');
    expect([no.code, no.stdout]).toEqual([1, 'no\n']);
    const denied = await kubectl('--kubeconfig', jane, 'get', 'pods');
    expect(denied.stderr).toContain('User "jane" cannot list resource "pods"');
    const forged = kubeconfigAs('forged', { token: 'not-a-token' });
    expect((await kubectl('--kubeconfig', forged, 'get', 'pods')).stderr).toContain(
      'You must be logged in to the server',
    );
  });

  it('authenticates the kubeconfig by its client certificate, and refuses one the CA did not sign', async () => {
    const config = parseYaml(readFileSync(cluster.kubeconfig, 'utf8')) as {
      users: { user: Record<string, string> }[];
    };
    expect(Object.keys(config.users[0]?.user ?? {}).sort()).toEqual([
      'client-certificate-data',
      'client-key-data',
    ]);
    const cert = Buffer.from(config.users[0]?.user['client-certificate-data'] ?? '', 'base64');
    const subject = execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], {
      input: cert,
    });
    expect(subject.toString().trim()).toBe('subject=O=system:masters,CN=kubernetes-admin');
    // The same subject from a CA of its own: not the front's, so nobody.
    const other = makeServingCertificates();
    const rogue = signClientCertificate(other, {
      user: 'kubernetes-admin',
      groups: ['system:masters'],
    });
    const base64 = (pem: string): string => Buffer.from(pem).toString('base64');
    const unsigned = kubeconfigAs('rogue', {
      'client-certificate-data': base64(rogue.cert),
      'client-key-data': base64(rogue.key),
    });
    const refused = await kubectl('--kubeconfig', unsigned, 'get', 'pods');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('error: You must be logged in to the server (Unauthorized)');
  });
});

/** A kubeconfig of the served cluster with `user` as its only user, in the test's directory. */
function kubeconfigAs(name: string, user: Record<string, string>): string {
  const config = parseYaml(readFileSync(cluster.kubeconfig, 'utf8')) as {
    users: { name: string; user: Record<string, string> }[];
  };
  const path = join(cluster.home, `${name}.kubeconfig`);
  writeFileSync(path, stringifyYaml({ ...config, users: [{ name: 'ksim-admin', user }] }));
  return path;
}
