/** A Job and the cluster the Job tests run it on. */
import type { Job } from '../../../core/api/kinds/job.ts';
import { JOB_NAME_LABEL } from '../../../core/api/kinds/job.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import {
  controlPlane,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { RolloutMonitor, watchKindAsAdmin } from './workloads.ts';

export function job(name: string, spec: Partial<Job['spec']>, command: string[]): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'work', image: 'busybox:1.36', command }],
        },
      },
      ...spec,
    },
  };
}

export interface World {
  readonly sim: Simulation;
  readonly monitor: RolloutMonitor;
  readonly jobs: () => { get(key: string): Job | undefined };
}

/** RBAC on, a scheduler, two nodes with real (simulated) kubelets. */
export function world(seed: number, name: string): World {
  const sim = controlPlane({ seed, secure: true });
  startScheduler(sim);
  startControllerManager(sim, { controllers: ['job', 'ttl-after-finished'] });
  spawnNode(sim, { name: 'node-1', kubelet: { podCIDR: '10.244.1.0/24' } });
  spawnNode(sim, { name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
  return {
    sim,
    monitor: new RolloutMonitor(sim, name, JOB_NAME_LABEL),
    jobs: watchKindAsAdmin(sim, 'Job', 'watch-jobs'),
  };
}

export function condition(j: Job | undefined, type: string) {
  return j?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}
