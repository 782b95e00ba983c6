/** Starts etcd 3.4 members for a test: private data dirs, free loopback ports, removed after. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcesses, etcdMissing } from '../../../real/etcd/etcd-processes.ts';
import { freePort } from '../cluster/ksim.ts';

export const etcdUnavailable = etcdMissing();

export interface TestEtcd {
  readonly etcd: EtcdProcesses;
  /** Kills every member and removes the data dirs. */
  stop(): Promise<void>;
}

export async function startTestEtcd(members: 1 | 3): Promise<TestEtcd> {
  const root = mkdtempSync(join(tmpdir(), 'ksim-etcd-'));
  const ports = [];
  for (let i = 0; i < members; i++)
    ports.push({ client: await freePort(), peer: await freePort() });
  const etcd = new EtcdProcesses(root, ports);
  const stop = async (): Promise<void> => {
    await etcd.killAll();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await etcd.startAll();
  } catch (e) {
    await stop();
    throw e;
  }
  return { etcd, stop };
}
