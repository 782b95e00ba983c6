import { describe, expect, it } from 'vitest';
import type { TracePod } from '../../../sim/replay/alibaba-csv.ts';
import { mapTimes } from '../../../sim/replay/time-mapping.ts';

const pod = (name: string, creationS?: number, deletionS?: number, line = 2): TracePod => ({
  name,
  cpuMilli: 1000,
  memoryMiB: 1024,
  numGpu: 0,
  gpuMilli: 0,
  gpuSpec: [],
  qos: 'BE',
  ...(creationS === undefined ? {} : { creationS }),
  ...(deletionS === undefined ? {} : { deletionS }),
  line,
});

const START = 30_000_000;

describe('mapTimes', () => {
  it('divides the trace times by the scale, from the first creation', () => {
    const out = mapTimes(
      [pod('b', 5000, 9000), pod('a', 1000, 3000), pod('c', 1000)],
      { kind: 'time-scale', factor: 1000 },
      START,
    );
    expect(out.map((t) => [t.pod.name, t.createAtUs, t.deleteAtUs])).toEqual([
      ['a', START, START + 2_000_000],
      // Equal creation times keep the file's order.
      ['c', START, undefined],
      ['b', START + 4_000_000, START + 8_000_000],
    ]);
  });

  it('rounds to whole microseconds', () => {
    const out = mapTimes([pod('a', 0, 1), pod('b', 1)], { kind: 'time-scale', factor: 3 }, 0);
    expect(out.map((t) => [t.createAtUs, t.deleteAtUs])).toEqual([
      [0, 333_333],
      [333_333, undefined],
    ]);
  });

  it('at a rate: creation order, evenly spaced, never deleted', () => {
    const out = mapTimes(
      [pod('b', 50, 60), pod('a', 10, 99), pod('c', 20)],
      { kind: 'rate', perSecond: 4 },
      START,
    );
    expect(out.map((t) => [t.pod.name, t.createAtUs, t.deleteAtUs])).toEqual([
      ['a', START, undefined],
      ['c', START + 250_000, undefined],
      ['b', START + 500_000, undefined],
    ]);
  });

  it('at a rate, a file without times keeps its order', () => {
    const out = mapTimes([pod('x'), pod('y')], { kind: 'rate', perSecond: 0.5 }, 0);
    expect(out.map((t) => [t.pod.name, t.createAtUs])).toEqual([
      ['x', 0],
      ['y', 2_000_000],
    ]);
  });

  it('refuses a time scale for tasks without creation times', () => {
    expect(() =>
      mapTimes(
        [pod('x', 1), pod('y', undefined, undefined, 7)],
        { kind: 'time-scale', factor: 10 },
        0,
      ),
    ).toThrow(
      'line 7: pod y has no creation_time: replay this file with a rate instead of a time scale',
    );
  });
});
