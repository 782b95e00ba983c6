import { describe, expect, it } from 'vitest';
import { CONTAINER_PORTS_ANNOTATION } from '../../core/ports/runtime.ts';
import {
  execCommand,
  fileExists,
  healthBehaviour,
  listening,
  parseWindows,
  unhealthy,
} from '../../sim/container-health.ts';

const S = 1_000_000;

function health(env: Record<string, string>, ports?: number[]) {
  return healthBehaviour({
    name: 'c',
    attempt: 0,
    image: 'x',
    env,
    ...(ports === undefined
      ? {}
      : {
          annotations: {
            [CONTAINER_PORTS_ANNOTATION]: JSON.stringify(ports.map((p) => ({ containerPort: p }))),
          },
        }),
  });
}

describe('simulated container health', () => {
  it.each([
    ['30-60', [{ fromUs: 30 * S, toUs: 60 * S }]],
    [
      '0-1.5, 120-',
      [
        { fromUs: 0, toUs: 1.5 * S },
        { fromUs: 120 * S, toUs: undefined },
      ],
    ],
    ['x, 5-6', [{ fromUs: 5 * S, toUs: 6 * S }]],
    ['', []],
  ])('parses windows %j', (text, expected) => {
    expect(parseWindows(text)).toEqual(expected);
  });

  it('listens on declared and KSIM_LISTEN_PORTS ports, after KSIM_LISTEN_AFTER_SECONDS', () => {
    const h = health({ KSIM_LISTEN_PORTS: '9090, 70000', KSIM_LISTEN_AFTER_SECONDS: '3' }, [8080]);
    expect([...h.ports].sort()).toEqual([8080, 9090]);
    expect(listening(h, 8080, 2 * S)).toBe(false);
    expect(listening(h, 8080, 3 * S)).toBe(true);
    expect(listening(h, 9090, 10 * S)).toBe(true);
    expect(listening(h, 8081, 10 * S)).toBe(false);
  });

  it('fails health checks in windows, only for matching targets when KSIM_UNHEALTHY_MATCH is set', () => {
    const all = health({ KSIM_UNHEALTHY: '10-20' });
    expect(unhealthy(all, '/healthz', 9 * S)).toBe(false);
    expect(unhealthy(all, '/healthz', 10 * S)).toBe(true);
    expect(unhealthy(all, '/ready', 19 * S)).toBe(true);
    expect(unhealthy(all, '/ready', 20 * S)).toBe(false);
    const some = health({ KSIM_UNHEALTHY: '0-', KSIM_UNHEALTHY_MATCH: 'ready' });
    expect(unhealthy(some, '/ready', S)).toBe(true);
    expect(unhealthy(some, '/healthz', S)).toBe(false);
  });

  it.each([
    [['true'], 0, ''],
    [['false'], 1, ''],
    [['cat', '/tmp/ok'], 0, ''],
    [['cat', '/tmp/later'], 1, 'cat: /tmp/later: No such file or directory\n'],
    [['/bin/sh', '-c', 'test -f /tmp/ok && exit 3'], 3, ''],
    [
      ['sh', '-c', '[ -f /tmp/none ] && exit 0; exit 7'],
      7,
      'test: /tmp/none: No such file or directory\n',
    ],
    [['sh', '-c', 'sleep 2; ls /tmp/later'], 0, ''],
    [['pg_isready'], 0, ''],
  ] as const)('%j exits %i at 9 s', (argv, code, output) => {
    const h = health({ KSIM_FILES: '/tmp/ok,/tmp/later@10-', KSIM_UNHEALTHY: '30-' });
    const r = execCommand(h, argv, 9 * S);
    expect([r.exitCode, r.output]).toEqual([code, output]);
  });

  it('adds sleeps to the answer time and fails other commands when unhealthy', () => {
    const h = health({ KSIM_PROBE_LATENCY_MS: '5', KSIM_UNHEALTHY: '30-' });
    expect(execCommand(h, ['sh', '-c', 'sleep 1; true'], 0).durationUs).toBe(1_005_000);
    expect(execCommand(h, ['pg_isready'], 31 * S)).toMatchObject({ exitCode: 1 });
    expect(fileExists(h, '/nowhere', 0)).toBe(false);
  });
});
