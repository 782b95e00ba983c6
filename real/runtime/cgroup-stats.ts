/**
 * A container's resource use from its cgroups, the numbers cAdvisor reports: CPU as usage time
 * (differenced by the caller into millicores) and memory as the working set, usage less the
 * inactive file cache, and the processes it runs (pids.current of the pids controller). The cgroup is found through the container's init process, so it works
 * wherever runc placed it (cgroup v1 hierarchies or the v2 unified tree).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupSample {
  readonly cpuUsageNs: number;
  readonly memoryWorkingSetBytes: number;
  /** Processes (tasks) in the cgroup; undefined where the pids controller is not mounted. */
  readonly processes: number | undefined;
}

export function readCgroupSample(pid: number): CgroupSample | undefined {
  try {
    const paths = cgroupPaths(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
    const unified = paths.get('');
    if (paths.has('memory') && paths.has('cpuacct')) return readV1(paths);
    if (unified !== undefined) return readV2(join(CGROUP_ROOT, unified));
    return undefined;
  } catch {
    // The process exited between the listing and the read.
    return undefined;
  }
}

/** controller -> path, from /proc/<pid>/cgroup lines `id:controllers:path` ('' for v2). */
export function cgroupPaths(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers === undefined || path === undefined) continue;
    for (const c of controllers.split(',')) out.set(c, path);
  }
  return out;
}

function readV1(paths: Map<string, string>): CgroupSample {
  const memory = join(CGROUP_ROOT, 'memory', paths.get('memory') ?? '');
  const cpu = join(CGROUP_ROOT, 'cpuacct', paths.get('cpuacct') ?? '');
  const usage = Number(readFileSync(join(memory, 'memory.usage_in_bytes'), 'utf8'));
  const inactive = statField(
    readFileSync(join(memory, 'memory.stat'), 'utf8'),
    'total_inactive_file',
  );
  const pids = paths.get('pids');
  return {
    cpuUsageNs: Number(readFileSync(join(cpu, 'cpuacct.usage'), 'utf8')),
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
    processes: pids === undefined ? undefined : readCount(join(CGROUP_ROOT, 'pids', pids)),
  };
}

function readV2(dir: string): CgroupSample {
  const usage = Number(readFileSync(join(dir, 'memory.current'), 'utf8'));
  const inactive = statField(readFileSync(join(dir, 'memory.stat'), 'utf8'), 'inactive_file');
  return {
    cpuUsageNs: statField(readFileSync(join(dir, 'cpu.stat'), 'utf8'), 'usage_usec') * 1000,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
    processes: readCount(dir),
  };
}

function readCount(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, 'pids.current'), 'utf8'));
  } catch {
    return undefined;
  }
}

function statField(text: string, name: string): number {
  for (const line of text.split('\n')) {
    const [key, value] = line.split(' ');
    if (key === name) return Number(value);
  }
  return 0;
}
