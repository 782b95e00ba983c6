import { describe, expect, it } from 'vitest';
import {
  addResourceLists,
  bytes,
  cpuMillis,
  maxResourceLists,
  resourceListToMillis,
} from '../../../core/api/resource-list.ts';

describe('hot-path numbers', () => {
  const cpu: [string, number][] = [
    ['100m', 100],
    ['0.5', 500],
    ['1', 1000],
    ['2.5', 2500],
    ['1n', 1],
    ['250u', 1],
  ];
  it.each(cpu)('cpuMillis(%s) = %d', (q, n) => {
    expect(cpuMillis(q)).toBe(n);
    expect(cpuMillis(q)).toBe(n);
  });

  const mem: [string, number][] = [
    ['128974848', 128_974_848],
    ['129e6', 129_000_000],
    ['129M', 129_000_000],
    ['123Mi', 128_974_848],
    ['1Gi', 1_073_741_824],
    ['1.5Gi', 1_610_612_736],
    ['100m', 1],
  ];
  it.each(mem)('bytes(%s) = %d', (q, n) => {
    expect(bytes(q)).toBe(n);
  });

  it('crashes on a quantity that escaped validation', () => {
    expect(() => cpuMillis('lots')).toThrow(/"lots"/);
  });
});

describe('ResourceList helpers', () => {
  it('adds per key, keeping key order', () => {
    expect(
      addResourceLists({ cpu: '100m', memory: '1Gi' }, { memory: '512Mi', pods: '1' }),
    ).toEqual({
      cpu: '100m',
      memory: '1536Mi',
      pods: '1',
    });
    expect(addResourceLists(undefined, { cpu: '1' })).toEqual({ cpu: '1' });
  });

  it('takes per-key maxima', () => {
    expect(maxResourceLists({ cpu: '2', memory: '1Gi' }, { cpu: '500m', memory: '2Gi' })).toEqual({
      cpu: '2',
      memory: '2Gi',
    });
  });

  it('converts to numbers: cpu in millicores, the rest in base units', () => {
    expect(
      resourceListToMillis({ cpu: '1.5', memory: '1Ki', 'example.com/gpu': '2', pods: '110' }),
    ).toEqual({
      cpu: 1500,
      memory: 1024,
      'example.com/gpu': 2,
      pods: 110,
    });
    expect(resourceListToMillis(undefined)).toEqual({});
  });
});
