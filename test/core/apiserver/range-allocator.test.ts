import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  IPRangeAllocator,
  newRangeAllocator,
  parsePortRange,
  PortRangeAllocator,
} from '../../../core/apiserver/range-allocator.ts';
import { parseCIDR } from '../../../core/api/ip.ts';
import { SeededRandom } from '../../../sim/random.ts';

const random = () => SeededRandom.root(1).fork('ranges');
const ipRange = (cidr: string) => {
  const parsed = parseCIDR(cidr);
  if (parsed === undefined) throw new Error(cidr);
  return new IPRangeAllocator(parsed, random());
};
const ipNumber = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

describe('IP range allocator (ipallocator/bitmap.go)', () => {
  it('never hands out the network or broadcast address of an IPv4 range', () => {
    const r = ipRange('10.0.0.0/29');
    const got = new Set<string>();
    for (let i = 0; i < 6; i++) got.add(r.allocateNext() ?? 'full');
    expect([...got].sort()).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      '10.0.0.3',
      '10.0.0.4',
      '10.0.0.5',
      '10.0.0.6',
    ]);
    expect(r.allocateNext()).toBeUndefined();
    expect(r.allocate('10.0.0.0')).toBe(
      'the provided IP (10.0.0.0) is not in the valid range. The range of valid IPs is 10.0.0.0/29',
    );
    expect(r.allocate('10.0.0.7')).toContain('is not in the valid range');
    r.release('10.0.0.3');
    expect(r.allocate('10.0.0.3')).toBeUndefined();
    expect(r.allocate('10.0.0.3')).toBe('provided IP is already allocated');
  });

  it('draws from the dynamic block first: above min(max(16, size/16), 256) addresses', () => {
    // A /24 has 256 addresses: the first 16 form the static block.
    const r = ipRange('10.1.0.0/24');
    const drawn: number[] = [];
    for (let i = 0; i < 254 - 16; i++)
      drawn.push(ipNumber(r.allocateNext() ?? '0.0.0.0') - ipNumber('10.1.0.0'));
    expect(Math.min(...drawn)).toBe(17);
    expect(Math.max(...drawn)).toBe(254);
    // The dynamic block is full: the static block serves what is drawn now.
    const next = ipNumber(r.allocateNext() ?? '0.0.0.0') - ipNumber('10.1.0.0');
    expect(next).toBeGreaterThanOrEqual(1);
    expect(next).toBeLessThanOrEqual(16);
  });

  it('caps an IPv6 range at 65536 addresses and skips the network address', () => {
    const r = ipRange('fd00::/64');
    expect(r.allocate('fd00::')).toContain('is not in the valid range');
    expect(r.allocate('fd00::1')).toBeUndefined();
    expect(r.allocate('fd00::ffff')).toBeUndefined();
    expect(r.allocate('fd00::1:0')).toContain('is not in the valid range');
    expect(r.allocate('10.0.0.1')).toContain('is not in the valid range');
  });
});

describe('port range allocator (portallocator/allocator.go)', () => {
  it('parses the flag as net.ParsePortRange does', () => {
    expect(parsePortRange('30000-32767')).toEqual([30000, 2768]);
    expect(parsePortRange('30000+10')).toEqual([30000, 11]);
    expect(parsePortRange('8080')).toEqual([8080, 1]);
    expect(parsePortRange('32767-30000')).toBeUndefined();
    expect(parsePortRange('70000-70001')).toBeUndefined();
    expect(
      newRangeAllocator(
        { name: 'p', type: 'port', flag: 'service-node-port-range', defaultRange: '1-2' },
        'x-y',
        random(),
      ),
    ).toBe('--service-node-port-range: invalid port range "x-y"');
  });

  it('keeps the first min(max(16, size/32), 128) ports for requests and reports upstream errors', () => {
    const r = new PortRangeAllocator(30000, 2768, random());
    const drawn = Array.from({ length: 100 }, () => r.allocateNext() ?? 0);
    expect(Math.min(...drawn)).toBeGreaterThanOrEqual(30086);
    expect(r.allocate(drawn[0] ?? 0)).toBe('provided port is already allocated');
    expect(r.allocate(29999)).toBe(
      'provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    expect(r.allocate(30000)).toBeUndefined();
  });

  test.prop([
    fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 200 }),
  ])('never hands out a port twice and fills the whole range before answering full', (ops) => {
    const r = new PortRangeAllocator(100, 30, random());
    const held = new Set<number>();
    for (const [take, n] of ops) {
      if (take) {
        const p = r.allocateNext();
        if (p === undefined) expect(held.size).toBe(30);
        else {
          expect(held.has(p)).toBe(false);
          expect(p >= 100 && p < 130).toBe(true);
          held.add(p);
        }
      } else {
        r.release(100 + n);
        held.delete(100 + n);
      }
      expect(r.used).toBe(held.size);
    }
  });
});
