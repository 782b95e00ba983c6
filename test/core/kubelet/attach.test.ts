/**
 * pods/attach through the API server to the kubelet and the simulated runtime's main process
 * (sim/main-process.ts): a `cat` with `stdin: true` gives back what is sent and, with stdinOnce,
 * exits when the first client's stdin ends (the pod completes, its log holds what it echoed);
 * without stdinOnce the container's stdin outlives a session; a shell on the container's
 * terminal echoes what is typed and its exit ends the session; a plain attach streams what the
 * container writes until it exits; stdin sent to a container without one is dropped (as
 * containerd drops it); a container without stdin whose command is `cat` reads an empty stdin
 * and completes at once.
 */
import { describe, expect, it } from 'vitest';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import {
  API_STREAM_PROTOCOL,
  type StreamFrame,
  type StreamInput,
} from '../../../core/api/node-stream.ts';
import type { Container, Pod } from '../../../core/api/pod-types.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import type { ClientStream } from '../../../core/ports/transport.ts';
import { API_SERVER, ADMIN_IDENTITY } from '../../../core/cluster/identities.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { getPod, pod, podInPhase, waitFor } from './harness.ts';

const ADMIN = `Bearer ${issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY)}`;

interface Attached {
  readonly frames: StreamFrame[];
  readonly input: ClientStream<StreamInput>;
  /** Output so far, in order. */
  text(): string;
  readonly closed: Promise<void>;
}

function attach(ports: ProcessPorts, name: string, query: Record<string, string>): Attached {
  const frames: StreamFrame[] = [];
  let closed: () => void = () => {};
  const done = new Promise<void>((resolve) => (closed = resolve));
  const input = ports.transport.openStream(
    API_STREAM_PROTOCOL,
    API_SERVER,
    {
      kind: 'http',
      method: 'POST',
      path: `/api/v1/namespaces/default/pods/${name}/attach`,
      query,
      authorization: ADMIN,
    },
    { onMessage: (f) => frames.push(f), onClose: () => closed() },
  );
  return {
    frames,
    input,
    text: () => frames.map((f) => (f.kind === 'data' ? f.data : '')).join(''),
    closed: done,
  };
}

/** The pod's log (pods/log) as one text. */
function collectLog(ports: ProcessPorts, name: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    ports.transport.openStream(
      API_STREAM_PROTOCOL,
      API_SERVER,
      {
        kind: 'http',
        method: 'GET',
        path: `/api/v1/namespaces/default/pods/${name}/log`,
        query: {},
        authorization: ADMIN,
      },
      {
        onMessage: (f) => (text += f.kind === 'data' ? f.data : ''),
        onClose: () => resolve(text),
      },
    );
  });
}

function withContainer(name: string, container: Partial<Container>): Pod {
  const base = pod(name, { restartPolicy: 'Never' });
  const c = base.spec.containers[0]!;
  return { ...base, spec: { ...base.spec, containers: [{ ...c, ...container }] } };
}

const STDIN = { stdin: 'true', stdout: 'true', stderr: 'true' };

describe('pods/attach', () => {
  it('gives stdin to a cat main process; stdinOnce closes it after the first session', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(withContainer('once', { command: ['cat'], stdin: true, stdinOnce: true }));
      await waitFor(ports, 'once Running', podInPhase(api, 'once', 'Running'), 60_000_000);
      const a = attach(ports, 'once', STDIN);
      a.input.send({ kind: 'stdin', data: 'hi\n' });
      await waitFor(ports, 'the echo', async () => (a.text() === 'hi\n' ? true : undefined), 5e6);
      a.input.send({ kind: 'stdin-close' });
      await a.closed;
      expect(a.frames.at(-1)).toEqual({
        kind: 'end',
        status: { metadata: {}, status: 'Success' },
      });
      // cat read the end of its stdin: the container completed, and its log has the echo.
      const done = await waitFor(
        ports,
        'once Succeeded',
        podInPhase(api, 'once', 'Succeeded'),
        60_000_000,
      );
      expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
      const log = await collectLog(ports, 'once');
      expect(log).toBe('hi\n');
    });
  });

  it('keeps the stdin of a container without stdinOnce across sessions', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(withContainer('open', { command: ['cat'], stdin: true }));
      await waitFor(ports, 'open Running', podInPhase(api, 'open', 'Running'), 60_000_000);
      const first = attach(ports, 'open', STDIN);
      first.input.send({ kind: 'stdin', data: 'one\n' });
      first.input.send({ kind: 'stdin-close' });
      await first.closed;
      expect(first.text()).toBe('one\n');
      const second = attach(ports, 'open', STDIN);
      second.input.send({ kind: 'stdin', data: 'two\n' });
      await waitFor(
        ports,
        'the echo',
        async () => (second.text() === 'two\n' ? true : undefined),
        5e6,
      );
      second.input.close();
      expect((await getPod(api, 'open'))?.status?.phase).toBe('Running');
    });
  });

  it('puts what is typed on the terminal of a tty shell, and ends at its exit', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(withContainer('tty', { command: ['sh'], stdin: true, tty: true }));
      await waitFor(ports, 'tty Running', podInPhase(api, 'tty', 'Running'), 60_000_000);
      const a = attach(ports, 'tty', { stdin: 'true', stdout: 'true', tty: 'true' });
      a.input.send({ kind: 'resize', width: 80, height: 24 });
      a.input.send({ kind: 'stdin', data: 'echo hi\rexit 3\r' });
      await a.closed;
      expect(a.text()).toBe('echo hi\r\nhi\r\n/ # exit 3\r\n');
      const p = await waitFor(ports, 'tty done', podInPhase(api, 'tty', 'Failed'), 5e6);
      expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    });
  });

  it('streams the output of a running container until it exits, without stdin', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(
        withContainer('talk', { command: ['sh', '-c', 'sleep 5; echo one; sleep 5; echo two'] }),
      );
      await waitFor(ports, 'talk Running', podInPhase(api, 'talk', 'Running'), 60_000_000);
      // -i to a container without stdin: the input goes nowhere, the output still comes.
      const a = attach(ports, 'talk', STDIN);
      a.input.send({ kind: 'stdin', data: 'ignored\n' });
      a.input.send({ kind: 'stdin-close' });
      await a.closed;
      expect(a.text()).toBe('one\ntwo\n');
      expect(a.frames.at(-1)?.kind).toBe('end');
      // The session ended as the container exited.
      const p = await waitFor(ports, 'talk done', podInPhase(api, 'talk', 'Succeeded'), 5e6);
      expect(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    });
  });

  it('ends cat at once when the container has no stdin, as on /dev/null', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      await api.create(withContainer('empty', { command: ['cat'] }));
      const done = await waitFor(
        ports,
        'empty Succeeded',
        podInPhase(api, 'empty', 'Succeeded'),
        60_000_000,
      );
      expect(done.status?.containerStatuses?.[0]?.state?.terminated?.reason).toBe('Completed');
    });
  });
});
