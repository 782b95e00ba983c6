import { describe, expect, it } from 'vitest';
import { CodecError, JSON_VALUE_CODEC, type Codec } from '../../core/ports/codec.ts';
import { jsonProtocol, type Protocol } from '../../core/ports/transport.ts';
import { DEFAULT_NETWORK } from '../../sim/network.ts';
import { Simulation } from '../../sim/simulation.ts';
import { structuralDiff } from '../../sim/structural-diff.ts';

const P = jsonProtocol('test');
const network = {
  ...DEFAULT_NETWORK,
  link: {
    latency: { kind: 'constant' as const, us: 10 },
    lossProbability: 0,
    duplicateProbability: 0,
  },
};

interface Note {
  kind: string;
  tags: string[];
}

/** A sender that keeps (and later mutates) what it sent, and a receiver that mutates it. */
async function mutate(
  checkImmutability: boolean,
  who: 'sender' | 'receiver',
): Promise<{ error: unknown; received: Note | undefined }> {
  const sim = new Simulation({ seed: 1, network, checkImmutability });
  let received: Note | undefined;
  sim.spawnProcess('b', (p) =>
    p.transport.listen(P, {
      onMessage: (_from, msg) => {
        received = msg as Note;
        if (who === 'receiver') received.tags.push('receiver was here');
      },
    }),
  );
  sim.spawnProcess('a', (p) => {
    const note: Note = { kind: 'note', tags: ['a'] };
    p.transport.send(P, 'b', note);
    if (who === 'sender') p.clock.setTimer(1, () => note.tags.push('sender was here'));
  });
  let error: unknown;
  try {
    await sim.run();
  } catch (e) {
    error = e;
  }
  return { error, received };
}

describe('check mode', () => {
  it('is on in the test suite for every simulation that does not choose', () => {
    expect(new Simulation({ seed: 1 }).checkImmutability).toBe(true);
    expect(new Simulation({ seed: 1, checkImmutability: false }).wireCheck).toBeUndefined();
  });

  it('freezes what is sent: a receiver that mutates a message throws', async () => {
    const { error } = await mutate(true, 'receiver');
    expect(error).toBeInstanceOf(TypeError);
  });

  it('freezes what is sent: a sender that mutates what it sent throws', async () => {
    const { error } = await mutate(true, 'sender');
    expect(error).toBeInstanceOf(TypeError);
  });

  it('fast mode shares the very object, unfrozen (the aliasing bug check mode exists for)', async () => {
    const { error, received } = await mutate(false, 'sender');
    expect(error).toBeUndefined();
    expect(received?.tags).toEqual(['a', 'sender was here']);
  });

  /** A codec that loses a field: check mode must notice when it samples a message. */
  const lossy: Codec<unknown> = {
    encode: (v) => JSON_VALUE_CODEC.encode({ ...(v as object), tags: undefined }),
    decode: (b) => JSON_VALUE_CODEC.decode(b),
  };
  const LOSSY: Protocol = { ...P, name: 'lossy', datagram: lossy, request: lossy };

  it('round-trips a sample of messages through their codec and fails on a difference', async () => {
    const sim = new Simulation({ seed: 1, network, checkImmutability: true, wireSampleEvery: 3 });
    const got: unknown[] = [];
    sim.spawnProcess('b', (p) => p.transport.listen(LOSSY, { onMessage: (_f, m) => got.push(m) }));
    sim.spawnProcess('a', (p) => {
      // The first of each kind and every third after it are sampled: plain 0 and 3, tagged 0;
      // only the one with tags differs after the round trip.
      for (let i = 0; i < 5; i++) p.transport.send(LOSSY, 'b', { kind: 'plain', i });
      p.transport.send(LOSSY, 'b', { kind: 'tagged', tags: ['x'] });
    });
    await expect(sim.run()).rejects.toThrow(
      /check mode: a lossy datagram did not survive its codec \(decoded \$\.tags: missing != array\)/,
    );
    expect(got).toHaveLength(5);
    expect(sim.wireCheck?.sampled).toBe(3);
  });

  it('samples by count per protocol and shape, drawing nothing from the random streams', async () => {
    const hashes: string[] = [];
    for (const checkImmutability of [false, true]) {
      const sim = new Simulation({ seed: 3, checkImmutability, traceLevel: 'debug' });
      sim.spawnProcess('b', (p) =>
        p.transport.listen(P, { onMessage: (_f, m) => p.transport.send(P, 'a', m) }),
      );
      sim.spawnProcess('a', (p) => {
        p.transport.listen(P, { onMessage: () => {} });
        for (let i = 0; i < 100; i++) p.transport.send(P, 'b', { i, at: p.random.int(1000) });
      });
      await sim.run();
      hashes.push(sim.trace.digest());
    }
    expect(hashes[1]).toBe(hashes[0]);
  });

  it('notices bytes changed in flight (byte arrays cannot be frozen)', async () => {
    const BYTES: Protocol = {
      ...P,
      name: 'bytes',
      datagram: {
        encode: (v) => Uint8Array.from(v as Uint8Array),
        decode: (b) => Uint8Array.from(b),
      },
    };
    const sim = new Simulation({ seed: 1, network, checkImmutability: true });
    sim.spawnProcess('b', (p) => p.transport.listen(BYTES, { onMessage: () => {} }));
    sim.spawnProcess('a', (p) => {
      const payload = new Uint8Array([1, 2, 3]);
      p.transport.send(BYTES, 'b', payload);
      payload[1] = 9;
    });
    await expect(sim.run()).rejects.toThrow(/decoded \$\[1\]: byte 2 != 9/);
  });

  it('refuses a message its protocol cannot encode, at the sender', async () => {
    const NONE: Protocol = {
      ...P,
      name: 'none',
      datagram: {
        encode: () => {
          throw new CodecError('none: cannot encode');
        },
        decode: () => null,
      },
    };
    const sim = new Simulation({ seed: 1, network, checkImmutability: true });
    sim.spawnProcess('a', (p) => p.clock.setTimer(1, () => p.transport.send(NONE, 'b', 'x')));
    await expect(sim.run()).rejects.toThrow(CodecError);
  });
});

describe('structural diff', () => {
  it.each<[unknown, unknown, string | undefined]>([
    [{ a: 1, b: undefined }, { a: 1 }, undefined],
    [{ a: [1, { c: 'x' }] }, { a: [1, { c: 'y' }] }, '$.a[1].c: "x" != "y"'],
    [{ a: 1 }, { a: 1, b: 2 }, '$.b: missing != 2'],
    [[1, 2], [1], '$: length 2 != 1'],
    [new Uint8Array([1]), new Uint8Array([1]), undefined],
    [new Uint8Array([1]), [1], '$: bytes != non-bytes'],
    [Number.NaN, Number.NaN, undefined],
    [null, {}, '$: null != object'],
  ])('%j vs %j', (a, b, diff) => {
    expect(structuralDiff(a, b)).toBe(diff);
  });
});
