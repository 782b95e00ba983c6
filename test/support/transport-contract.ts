/**
 * The Transport port's contract (core/ports/transport.ts), run against the simulated network
 * (test/sim/network.test.ts) and the TCP transport (test/real/host/tcp-transport.test.ts):
 * the results and stream-close reasons a caller can rely on in both modes.
 */
import { describe, expect, it } from 'vitest';
import { jsonProtocol, type ServerStream, type Transport } from '../../core/ports/transport.ts';

export const CONTRACT_PROTOCOL = jsonProtocol('contract');
const OTHER = jsonProtocol('contract-other');

export interface TransportWorld {
  /** The transport of process `name` (one of the names the harness was given). */
  transport(name: string): Transport;
  /** Lets `us` microseconds pass on the host's clock. */
  sleep(us: number): Promise<void>;
  /** Ends process `name`: its listeners and connections go away. */
  crash(name: string): Promise<void>;
}

/** Runs `script` in a world of processes named `names`; rejects if the script does. */
export type TransportHarness = (
  names: readonly string[],
  script: (world: TransportWorld) => Promise<void>,
) => Promise<void>;

async function until(world: TransportWorld, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await world.sleep(5_000);
  expect(condition()).toBe(true);
}

export function transportContract(host: string, run: TransportHarness): void {
  describe(`Transport port contract: ${host}`, () => {
    it('answers requests through onRequest and onCall, naming the caller', async () => {
      const results: unknown[] = [];
      await run(['a', 'b'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, { onRequest: (from, req) => [from, req] });
        w.transport('b').listen(OTHER, { onCall: (from, req, reply) => reply({ from, req }) });
        results.push(await w.transport('a').request(CONTRACT_PROTOCOL, 'b', 1, 1_000_000));
        results.push(await w.transport('a').request(OTHER, 'b', 2, 1_000_000));
      });
      expect(results).toEqual([
        { kind: 'reply', body: ['a', 1] },
        { kind: 'reply', body: { from: 'a', req: 2 } },
      ]);
    });

    it('refuses a request to an unknown process, a protocol not served, a crashed process', async () => {
      const results: unknown[] = [];
      await run(['a', 'b', 'c'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, { onMessage: () => {} });
        w.transport('c').listen(CONTRACT_PROTOCOL, { onRequest: () => 'up' });
        await w.crash('c');
        for (const to of ['nobody', 'b', 'c'])
          results.push(await w.transport('a').request(CONTRACT_PROTOCOL, to, 0, 1_000_000));
      });
      expect(results).toEqual([{ kind: 'refused' }, { kind: 'refused' }, { kind: 'refused' }]);
    });

    it('times a request out when no reply comes by its deadline', async () => {
      const results: unknown[] = [];
      await run(['a', 'b'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, { onCall: () => {} });
        results.push(await w.transport('a').request(CONTRACT_PROTOCOL, 'b', 0, 20_000));
      });
      expect(results).toEqual([{ kind: 'timeout' }]);
    });

    it("streams in order; the client hears the server's close, the server the client's", async () => {
      const events: string[] = [];
      await run(['a', 'b'], async (w) => {
        const streams: ServerStream[] = [];
        w.transport('b').listen(CONTRACT_PROTOCOL, {
          onStream: (_from, req, stream) => {
            streams.push(stream);
            stream.onClose((r) => events.push(`server heard: ${r}`));
            for (let i = 0; i < (req as number); i++) stream.send(i);
          },
        });
        const handlers = {
          onMessage: (m: unknown) => events.push(`got ${String(m)}`),
          onClose: (r: string) => events.push(`client heard: ${r}`),
        };
        w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 3, handlers);
        await until(w, () => events.length === 3);
        streams[0]!.close();
        await until(w, () => events.length === 4);
        const second = w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 0, handlers);
        await until(w, () => streams.length === 2);
        second.close();
        await until(w, () => events.length === 5);
      });
      expect(events).toEqual([
        'got 0',
        'got 1',
        'got 2',
        'client heard: closed by server',
        'server heard: client closed',
      ]);
    });

    it("carries the client's input to the server in order, from the moment it opens", async () => {
      const events: string[] = [];
      await run(['a', 'b'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, {
          onStream: (_from, req, stream) => {
            events.push(`opened ${String(req)}`);
            stream.onInput((m) => {
              events.push(`server got ${String(m)}`);
              stream.send(`echo ${String(m)}`);
            });
          },
        });
        const stream = w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 'x', {
          onMessage: (m) => events.push(`client got ${String(m)}`),
          onClose: (r) => events.push(`client heard: ${r}`),
        });
        // Sent before the server has seen the open: it must still come after it.
        stream.send(1);
        stream.send(2);
        await until(w, () => events.length === 5);
        stream.close();
        stream.send(3);
        await w.sleep(50_000);
      });
      expect(events).toEqual([
        'opened x',
        'server got 1',
        'server got 2',
        'client got echo 1',
        'client got echo 2',
      ]);
    });

    it('keeps input that arrives before the server asks for it', async () => {
      const got: unknown[] = [];
      await run(['a', 'b'], async (w) => {
        const streams: ServerStream[] = [];
        w.transport('b').listen(CONTRACT_PROTOCOL, { onStream: (_f, _r, s) => streams.push(s) });
        const stream = w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 0, {
          onMessage: () => {},
          onClose: () => {},
        });
        stream.send('early');
        await until(w, () => streams.length === 1);
        await w.sleep(50_000);
        streams[0]!.onInput((m) => got.push(m));
        stream.send('late');
        await until(w, () => got.length === 2);
      });
      expect(got).toEqual(['early', 'late']);
    });

    it('closes a stream nobody serves with the reason the simulated network gives', async () => {
      const closes: string[] = [];
      await run(['a', 'b'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, { onRequest: () => 0 });
        const handlers = { onMessage: () => {}, onClose: (r: string) => closes.push(r) };
        w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 0, handlers);
        w.transport('a').openStream(CONTRACT_PROTOCOL, 'nobody', 0, handlers);
        await until(w, () => closes.length === 2);
      });
      expect([...closes].sort()).toEqual(['connection refused by b', 'no process nobody']);
    });

    it('closes an open stream once, with a reason, when the server goes away', async () => {
      const closes: string[] = [];
      await run(['a', 'b'], async (w) => {
        w.transport('b').listen(CONTRACT_PROTOCOL, { onStream: (_f, _r, s) => s.send('hi') });
        let got = 0;
        w.transport('a').openStream(CONTRACT_PROTOCOL, 'b', 0, {
          onMessage: () => got++,
          onClose: (r) => closes.push(r),
        });
        await until(w, () => got === 1);
        await w.crash('b');
        await until(w, () => closes.length === 1);
        await w.sleep(50_000);
      });
      expect(closes).toHaveLength(1);
      expect(closes[0]!.length).toBeGreaterThan(0);
    });
  });
}
