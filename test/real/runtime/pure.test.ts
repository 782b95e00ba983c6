import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEventLine, timestampUs } from '../../../real/containerd/events.ts';
import {
  parseCtrBytes,
  parseImageList,
  parseSnapshotUsage,
  upperDirOf,
} from '../../../real/containerd/images.ts';
import { buildBusyboxImage, busyboxLayer } from '../../../real/image/oci-image.ts';
import { IpAllocator } from '../../../real/network/ip-allocator.ts';
import { formatIpv4, parseIpv4Cidr } from '../../../real/network/ipv4-cidr.ts';
import { cgroupPaths } from '../../../real/runtime/cgroup-stats.ts';
import { deletedExitCode } from '../../../real/runtime/containerd-runtime.ts';
import { decodeHealthResponse, encodeHealthRequest } from '../../../real/runtime/probe-network.ts';

describe('IPv4 CIDRs', () => {
  it.each([
    ['10.244.3.0/24', { network: 0x0af40300, prefixLength: 24 }],
    ['192.168.0.0/16', { network: 0xc0a80000, prefixLength: 16 }],
    ['10.0.0.4/30', { network: 0x0a000004, prefixLength: 30 }],
  ])('%s parses', (text, cidr) => {
    expect(parseIpv4Cidr(text)).toEqual({ ok: true, cidr });
  });

  it.each([
    ['10.244.3.1/24', 'host bits set (network is 10.244.3.0/24)'],
    ['10.244.3.0/31', 'at most /30'],
    ['10.244.3.0', 'not an IPv4 CIDR'],
    ['10.244.256.0/24', 'not an IPv4 CIDR'],
    ['fd00::/64', 'not an IPv4 CIDR'],
  ])('%s is refused: %s', (text, message) => {
    const r = parseIpv4Cidr(text);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toContain(message);
  });

  it('formats the address it parsed', () => {
    expect(formatIpv4(0xc0a80a01)).toBe('192.168.10.1');
  });

  it('hands out pod addresses after the gateway, lowest free first, and runs out', () => {
    const r = parseIpv4Cidr('10.0.0.0/29');
    if (!r.ok) throw new Error(r.message);
    const ips = new IpAllocator(r.cidr);
    // .0 network, .1 the bridge, .7 broadcast: five addresses for pods.
    const got = [1, 2, 3, 4, 5].map(() => ips.allocate());
    expect(got).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(ips.allocate()).toBeUndefined();
    ips.release('10.0.0.4');
    expect(ips.allocate()).toBe('10.0.0.4');
  });
});

describe('ctr events lines', () => {
  const ns = 'ksim-0001';
  it.each([
    [
      `2026-12-06 23:33:01.351467497 +0000 UTC ${ns} /tasks/start {"container_id":"c1","pid":22484}`,
      { kind: 'task-start', containerId: 'c1', pid: 22484 },
    ],
    [
      `2026-12-06 23:33:01.5 +0000 UTC ${ns} /tasks/oom {"container_id":"c1"}`,
      { kind: 'task-oom', containerId: 'c1' },
    ],
    [
      `2026-12-06 23:33:01.52 +0000 UTC ${ns} /tasks/exit {"container_id":"c1","id":"c1","pid":22484,"exit_status":137,"exited_at":"2026-12-06T23:33:01.526131969Z"}`,
      {
        kind: 'task-exit',
        containerId: 'c1',
        processId: 'c1',
        exitStatus: 137,
        exitedAtUs: Date.UTC(2026, 11, 6, 23, 33, 1) * 1000 + 526131,
      },
    ],
    // proto3 JSON leaves out a zero exit status; an exec's exit names the exec.
    [
      `2026-12-06 23:33:01.52 +0000 UTC ${ns} /tasks/exit {"container_id":"c1","id":"exec-1","pid":7,"exited_at":"2026-12-06T23:33:01Z"}`,
      {
        kind: 'task-exit',
        containerId: 'c1',
        processId: 'exec-1',
        exitStatus: 0,
        exitedAtUs: Date.UTC(2026, 11, 6, 23, 33, 1) * 1000,
      },
    ],
    [
      `2026-12-06 23:33:01.2 +0000 UTC ${ns} /snapshot/prepare {"key":"c1"}`,
      { kind: 'other', topic: '/snapshot/prepare' },
    ],
  ])('%s', (line, event) => {
    expect(parseEventLine(line, ns)).toEqual(event);
  });

  it('ignores another namespace and lines that are not events', () => {
    expect(
      parseEventLine('2026-12-06 23:33:01.2 +0000 UTC other /tasks/oom {"container_id":"c1"}', ns),
    ).toBeUndefined();
    expect(parseEventLine('ctr: failed to dial', ns)).toBeUndefined();
  });

  it('reads nanosecond timestamps to the microsecond, with offsets', () => {
    expect(timestampUs('1970-01-01T00:00:01.000002999Z')).toBe(1_000_002);
    expect(timestampUs('1970-01-01T01:00:01+01:00')).toBe(1_000_000);
    expect(timestampUs('yesterday')).toBe(0);
  });
});

describe('the local busybox image', () => {
  const fakeBusybox = Buffer.from('#!fake busybox\n');

  it('is reproducible: the same binary gives the same digest', () => {
    const a = buildBusyboxImage('ksim.local/busybox:1', fakeBusybox, 'amd64');
    const b = buildBusyboxImage('ksim.local/busybox:1', fakeBusybox, 'amd64');
    expect(a.manifestDigest).toBe(b.manifestDigest);
    expect(a.archive.equals(b.archive)).toBe(true);
    expect(
      buildBusyboxImage('ksim.local/busybox:1', Buffer.from('other'), 'amd64').manifestDigest,
    ).not.toBe(a.manifestDigest);
  });

  it('is a layer tar that tar(1) reads: busybox, its applet links, the usual directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-layer-'));
    try {
      writeFileSync(join(dir, 'layer.tar'), busyboxLayer(fakeBusybox));
      const listing = execFileSync('tar', ['-tvf', join(dir, 'layer.tar')], { encoding: 'utf8' });
      expect(listing).toMatch(/-rwxr-xr-x 0\/0 +15 1970-01-01 00:00 bin\/busybox/);
      expect(listing).toContain('bin/httpd -> busybox');
      expect(listing).toContain('bin/nc -> busybox');
      expect(listing).toMatch(/drwxrwxrwt 0\/0 .* tmp\//);
      execFileSync('tar', ['-xf', join(dir, 'layer.tar'), '-C', dir]);
      expect(execFileSync('cat', [join(dir, 'bin/busybox')], { encoding: 'utf8' })).toBe(
        '#!fake busybox\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gRPC health messages', () => {
  it('encodes the service name as field 1, and the empty name as an empty message', () => {
    expect(encodeHealthRequest('')).toEqual(Buffer.alloc(0));
    expect(encodeHealthRequest('db')).toEqual(Buffer.from([0x0a, 2, 0x64, 0x62]));
  });

  it.each([
    [[0, 0, 0, 0, 2, 0x08, 1], 'SERVING'],
    [[0, 0, 0, 0, 2, 0x08, 2], 'NOT_SERVING'],
    [[0, 0, 0, 0, 0], 'UNKNOWN'],
    [[], 'SERVICE_UNKNOWN'],
  ])('%j reads as %s', (bytes, status) => {
    expect(decodeHealthResponse(Buffer.from(bytes))).toEqual({ kind: 'status', status });
  });
});

describe('/proc/<pid>/cgroup', () => {
  it('maps each controller (and the v2 tree as "") to its path', () => {
    const paths = cgroupPaths('4:memory:/ksim-1/c1\n2:cpu,cpuacct:/ksim-1/c1\n0::/\n');
    expect(paths.get('memory')).toBe('/ksim-1/c1');
    expect(paths.get('cpuacct')).toBe('/ksim-1/c1');
    expect(paths.get('cpu')).toBe('/ksim-1/c1');
    expect(paths.get('')).toBe('/');
  });
});

describe('ctr tasks delete', () => {
  it('reads the exit status from its warning, and no warning as 0', () => {
    const stderr =
      'time="2026-12-06T23:54:44Z" level=warning msg="task c1 exit with non-zero exit code 137"\n';
    expect(deletedExitCode(stderr, 'c1')).toBe(137);
    expect(deletedExitCode(stderr, 'c2')).toBe(0);
    expect(deletedExitCode('', 'c1')).toBe(0);
  });
});

describe("ctr's image and snapshot listings", () => {
  it.each([
    ['1.9 MiB', Math.round(1.9 * 1024 ** 2)],
    ['4.0 KiB', 4096],
    ['512 B', 512],
    ['2.5 GiB', Math.round(2.5 * 1024 ** 3)],
    ['2.001MB', undefined],
    ['lots', undefined],
  ])('%s is %s bytes', (text, bytes) => {
    expect(parseCtrBytes(text)).toBe(bytes);
  });

  it('groups the refs of one digest into one image, tags and digest names apart', () => {
    const d1 = `sha256:${'a'.repeat(64)}`;
    const d2 = `sha256:${'b'.repeat(64)}`;
    const out = [
      'REF                      TYPE                                       DIGEST  SIZE    PLATFORMS   LABELS',
      `ksim.local/busybox:1     application/vnd.oci.image.manifest.v1+json ${d1} 1.9 MiB linux/amd64 -`,
      `ksim.local/busybox:other application/vnd.oci.image.manifest.v1+json ${d1} 1.9 MiB linux/amd64 -`,
      `registry:5000/app@${d2}  application/vnd.oci.image.manifest.v1+json ${d2} 512 B   linux/amd64 -`,
      '',
    ].join('\n');
    expect(parseImageList(out)).toEqual([
      {
        id: d1,
        repoTags: ['ksim.local/busybox:1', 'ksim.local/busybox:other'],
        repoDigests: [`ksim.local/busybox@${d1}`],
        sizeBytes: Math.round(1.9 * 1024 ** 2),
        pinned: false,
      },
      {
        id: d2,
        repoTags: [],
        repoDigests: [`registry:5000/app@${d2}`],
        sizeBytes: 512,
        pinned: false,
      },
    ]);
  });

  it('reads snapshot usage and the writable layer of a mount command', () => {
    const usage = [
      'KEY                                                                     SIZE    INODES',
      'c1                                                                      4.0 KiB 1',
      `sha256:${'c'.repeat(64)} 1.9 MiB 36`,
    ].join('\n');
    expect(parseSnapshotUsage(usage)).toEqual([
      { key: 'c1', sizeBytes: 4096, inodes: 1 },
      { key: `sha256:${'c'.repeat(64)}`, sizeBytes: Math.round(1.9 * 1024 ** 2), inodes: 36 },
    ]);
    expect(
      upperDirOf(
        'mount -t overlay overlay /x -o index=off,workdir=/r/snapshots/2/work,upperdir=/r/snapshots/2/fs,lowerdir=/r/snapshots/1/fs',
      ),
    ).toBe('/r/snapshots/2/fs');
    expect(upperDirOf('mount -t bind /r/snapshots/2/fs /x -o rbind')).toBeUndefined();
  });
});
