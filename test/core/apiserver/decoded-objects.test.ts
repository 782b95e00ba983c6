import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { DecodedObjects } from '../../../core/apiserver/decoded-objects.ts';
import { Informer } from '../../../core/client/informer.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';

const pod = (name: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
  }) as Pod;

describe('decoded objects', () => {
  it('decode each stored version once and share it', () => {
    const objects = new DecodedObjects(false);
    let parses = 0;
    const decode = (value: string) => () => {
      parses++;
      return JSON.parse(value) as object;
    };
    const v1 = '{"a":1}';
    const first = objects.get('/k', v1, 5, decode(v1));
    expect(objects.get('/k', v1, 5, decode(v1))).toBe(first);
    expect(objects.get('/k', v1, 6, decode(v1))).not.toBe(first);
    expect(parses).toBe(2);
  });

  it('never hand back an object decoded from another value under the same version', () => {
    // A store restored to an older revision reuses revision numbers for other values.
    const objects = new DecodedObjects(false);
    objects.get('/k', '{"a":1}', 5, () => ({ a: 1 }));
    expect(objects.get('/k', '{"a":2}', 5, () => ({ a: 2 }))).toEqual({ a: 2 });
  });

  it("keep a key's newest version and the one before it, the previous of its next event", () => {
    const objects = new DecodedObjects(false);
    const v5 = objects.get('/k', 'v5', 5, () => ({ v: 5 }));
    const v6 = objects.get('/k', 'v6', 6, () => ({ v: 6 }));
    expect(objects.get('/k', 'v5', 5, () => ({ v: 5 }))).toBe(v5);
    expect(objects.get('/k', 'v6', 6, () => ({ v: 6 }))).toBe(v6);
    objects.get('/k', 'v7', 7, () => ({ v: 7 }));
    expect(objects.get('/k', 'v6', 6, () => ({ v: 6 }))).toBe(v6);
    expect(objects.get('/k', 'v5', 5, () => ({ v: 5 }))).not.toBe(v5);
  });

  it('forget the oldest beyond their capacity', () => {
    const objects = new DecodedObjects(false, 2);
    const a = objects.get('/a', 'a', 1, () => ({ a: 1 }));
    objects.get('/b', 'b', 1, () => ({ b: 1 }));
    objects.get('/c', 'c', 1, () => ({ c: 1 }));
    expect(objects.get('/a', 'a', 1, () => ({ a: 1 }))).not.toBe(a);
  });

  it('forget the least recently written first, over many evictions', () => {
    const objects = new DecodedObjects(false, 3);
    const versions = new Map<string, object>();
    const write = (key: string, rv: number): void => {
      versions.set(
        key,
        objects.get(key, `${key}${rv}`, rv, () => ({ key, rv })),
      );
    };
    const kept = (key: string, rv: number): boolean =>
      objects.get(key, `${key}${rv}`, rv, () => ({ key, rv })) === versions.get(key);
    // Rewriting a key moves it behind the others; each new key then evicts the oldest.
    for (let round = 0; round < 50; round++) {
      write(`/k${round}`, 1);
      if (round > 0) write(`/k${round - 1}`, 2);
    }
    expect(kept('/k48', 2)).toBe(true);
    expect(kept('/k49', 1)).toBe(true);
    expect(kept('/k47', 2)).toBe(true);
    expect(kept('/k46', 2)).toBe(false);
  });

  it('freeze what they hand out in check mode', () => {
    const nested = { metadata: { labels: { x: '1' } } };
    expect(Object.isFrozen(new DecodedObjects(true).get('/k', 'v', 1, () => nested))).toBe(true);
    expect(Object.isFrozen(nested.metadata.labels)).toBe(true);
    expect(Object.isFrozen(new DecodedObjects(false).get('/k', 'v', 1, () => ({})))).toBe(false);
  });
});

describe('shared API objects', () => {
  it('are frozen in check mode, so a client that mutates what it got throws', async () => {
    const sim = controlPlane({ checkImmutability: true });
    await runScript(sim, async (api) => {
      await api.create(pod('a'));
      const got = await api.get('Pod', 'default', 'a');
      if (!got.ok) throw new Error('get failed');
      expect(() => {
        (got.value.metadata.labels as Record<string, string>).app = 'db';
      }).toThrow(TypeError);
    });
  });

  it('are shared without copying in fast mode: what check mode guards against', async () => {
    const sim = controlPlane({ checkImmutability: false });
    await runScript(sim, async (api) => {
      await api.create(pod('a'));
      const got = await api.get('Pod', 'default', 'a');
      if (!got.ok) throw new Error('get failed');
      // The API server's own decoded copy: a client that mutated it would corrupt every reader.
      const again = await api.get('Pod', 'default', 'a');
      expect(again.ok && again.value).toBe(got.value);
    });
  });

  it('in an informer cache are frozen in check mode', async () => {
    const sim = controlPlane({ checkImmutability: true });
    let informer: Informer<'Pod'> | undefined;
    sim.spawnProcess('watcher', (p) => {
      informer = new Informer(p, new ApiClient(p.transport, 'apiserver'), 'Pod');
      informer.start();
    });
    await runScript(sim, async (api, ports) => {
      await api.create(pod('a'));
      await ports.clock.sleep(1_000_000);
    });
    const cached = informer?.get('default/a');
    expect(cached?.metadata.name).toBe('a');
    expect(Object.isFrozen(cached?.metadata.labels)).toBe(true);
  });
});
