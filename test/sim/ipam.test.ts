import { describe, expect, it } from 'vitest';
import { parseCidr } from '../../core/kubelet/pod-ip.ts';
import { PodIpAllocator } from '../../sim/ipam.ts';

describe('host-local IPAM', () => {
  it('hands out addresses after the gateway, sequentially, reusing released ones after wrapping', () => {
    const ipam = new PodIpAllocator(parseCidr('10.244.7.0/29')!);
    expect(ipam.capacity).toBe(5);
    expect(ipam.gateway).toBe('10.244.7.1');
    const ips = [1, 2, 3, 4, 5].map(() => ipam.allocate());
    expect(ips).toEqual(['10.244.7.2', '10.244.7.3', '10.244.7.4', '10.244.7.5', '10.244.7.6']);
    expect(ipam.allocate()).toBeUndefined();
    expect(ipam.exhaustedMessage()).toMatch(/10\.244\.7\.2-10\.244\.7\.6$/);
    ipam.release('10.244.7.4');
    expect(ipam.allocate()).toBe('10.244.7.4');
  });
});
