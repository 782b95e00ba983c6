import { featureGates } from '../api/feature-gates.ts';
import type { ApiClient } from '../client/api-client.ts';
import {
  candidateIdentity,
  DEFAULT_LEADER_ELECTION,
  LeaderElector,
  type LeaderElectionOptions,
} from '../client/leader-election.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { Controller } from './common/controller.ts';
import { SharedInformers } from './common/shared-informers.ts';
import {
  DEFAULT_NODE_LIFECYCLE,
  NodeLifecycleController,
  type NodeLifecycleOptions,
} from './node-lifecycle/node-lifecycle-controller.ts';
import { TaintEvictionController } from './node-lifecycle/taint-eviction-controller.ts';
import { DisruptionController } from './disruption/disruption-controller.ts';
import {
  DEFAULT_DEPLOYMENT_CONTROLLER,
  DeploymentController,
  type DeploymentControllerOptions,
} from './deployment/deployment-controller.ts';
import {
  DEFAULT_STATEFUL_SET_CONTROLLER,
  StatefulSetController,
  type StatefulSetControllerOptions,
} from './statefulset/stateful-set-controller.ts';
import {
  DEFAULT_DAEMON_SET_CONTROLLER,
  DaemonSetController,
  type DaemonSetControllerOptions,
} from './daemon/daemon-set-controller.ts';
import {
  DEFAULT_JOB_CONTROLLER,
  JobController,
  type JobControllerOptions,
} from './job/job-controller.ts';
import {
  CronJobController,
  DEFAULT_CRON_JOB_CONTROLLER,
  type CronJobControllerOptions,
} from './cronjob/cronjob-controller.ts';
import {
  DEFAULT_TTL_AFTER_FINISHED,
  TtlAfterFinishedController,
  type TtlAfterFinishedOptions,
} from './ttl-after-finished/ttl-after-finished-controller.ts';
import {
  DEFAULT_ENDPOINT_SLICE_CONTROLLER,
  EndpointSliceController,
  type EndpointSliceControllerOptions,
} from './endpointslice/endpointslice-controller.ts';
import {
  DEFAULT_GARBAGE_COLLECTOR,
  GarbageCollector,
  type GarbageCollectorOptions,
} from './garbage-collector/garbage-collector.ts';
import {
  DEFAULT_NAMESPACE_CONTROLLER,
  NamespaceController,
  type NamespaceControllerOptions,
} from './namespace/namespace-controller.ts';
import { DEFAULT_POD_GC, PodGcController, type PodGcOptions } from './podgc/pod-gc-controller.ts';
import {
  DEFAULT_RESOURCE_QUOTA_CONTROLLER,
  ResourceQuotaController,
  type ResourceQuotaControllerOptions,
} from './resourcequota/resource-quota-controller.ts';
import { RootCaCertPublisher } from './rootcacertpublisher/publisher.ts';
import { NodeIpamController, type NodeIpamOptions } from './nodeipam/node-ipam-controller.ts';
import { CsrApprovingController } from './certificates/csr-approving-controller.ts';
import {
  CsrSigningController,
  type CertificateSigner,
} from './certificates/csr-signing-controller.ts';
import { ServiceAccountsController } from './serviceaccount/service-accounts-controller.ts';
import {
  DEFAULT_HORIZONTAL_CONTROLLER,
  HorizontalController,
  type HorizontalControllerOptions,
} from './podautoscaler/horizontal-controller.ts';
import {
  DEFAULT_REPLICA_SET_CONTROLLER,
  ReplicaSetController,
  type ReplicaSetControllerOptions,
} from './replicaset/replica-set-controller.ts';
import { REPLICATION_CONTROLLER } from './replicaset/replicated-kind.ts';
import { EndpointSliceMirroringController } from './endpointslicemirroring/mirroring-controller.ts';
import {
  DEFAULT_ENDPOINTS_CONTROLLER,
  EndpointsController,
  type EndpointsControllerOptions,
} from './endpoint/endpoints-controller.ts';
import {
  DEFAULT_PERSISTENT_VOLUME_CONTROLLER,
  PersistentVolumeController,
  type PersistentVolumeControllerOptions,
} from './volume/persistentvolume/pv-controller.ts';
import { PvcProtectionController } from './volume/protection/pvc-protection-controller.ts';
import { PvProtectionController } from './volume/protection/pv-protection-controller.ts';

export type ControllerName =
  | 'replicaset'
  | 'replicationcontroller'
  | 'deployment'
  | 'statefulset'
  | 'daemonset'
  | 'job'
  | 'cronjob'
  | 'ttl-after-finished'
  | 'endpointslice'
  | 'endpoint'
  | 'endpointslicemirroring'
  | 'node-lifecycle'
  | 'nodeipam'
  | 'taint-eviction'
  | 'disruption'
  | 'garbagecollector'
  | 'namespace'
  | 'serviceaccount'
  | 'root-ca-cert-publisher'
  | 'csrapproving'
  | 'csrsigning'
  | 'resourcequota'
  | 'podgc'
  | 'horizontalpodautoscaling'
  | 'persistentvolume-binder'
  | 'pvc-protection'
  | 'pv-protection';

/** Every controller this controller manager can run. */
export const ALL_CONTROLLERS: readonly ControllerName[] = [
  'replicaset',
  'replicationcontroller',
  'deployment',
  'statefulset',
  'daemonset',
  'job',
  'cronjob',
  'ttl-after-finished',
  'endpointslice',
  'endpoint',
  'endpointslicemirroring',
  'node-lifecycle',
  'nodeipam',
  'taint-eviction',
  'disruption',
  'garbagecollector',
  'namespace',
  'serviceaccount',
  'root-ca-cert-publisher',
  'csrapproving',
  'csrsigning',
  'resourcequota',
  'podgc',
  'horizontalpodautoscaling',
  'persistentvolume-binder',
  'pvc-protection',
  'pv-protection',
];

/**
 * What runs without --controllers: every controller. (The garbage collector was left out for a
 * while: its start-up burst of lists and watches stalled the API server's store traffic under
 * message loss, nodes registering after 43 s in scenarios/node-crash.yaml. That no longer
 * happens: with it on, nodes of seeds 1-5 register after 7.5-13.8 s (seed 1 without it: 12.4 s).)
 */
export const DEFAULT_CONTROLLERS: readonly ControllerName[] = ALL_CONTROLLERS;

export interface ControllerManagerOptions {
  /** Which controllers to run (--controllers); DEFAULT_CONTROLLERS when absent. */
  readonly controllers?: readonly ControllerName[];
  readonly replicaSet?: Partial<ReplicaSetControllerOptions>;
  readonly deployment?: Partial<DeploymentControllerOptions>;
  readonly statefulSet?: Partial<StatefulSetControllerOptions>;
  readonly daemonSet?: Partial<DaemonSetControllerOptions>;
  readonly job?: Partial<JobControllerOptions>;
  readonly cronJob?: Partial<CronJobControllerOptions>;
  readonly ttlAfterFinished?: Partial<TtlAfterFinishedOptions>;
  readonly endpointSlice?: Partial<EndpointSliceControllerOptions>;
  readonly endpoints?: Partial<EndpointsControllerOptions>;
  readonly nodeLifecycle?: Partial<NodeLifecycleOptions>;
  readonly garbageCollector?: Partial<GarbageCollectorOptions>;
  readonly namespace?: Partial<NamespaceControllerOptions>;
  readonly resourceQuota?: Partial<ResourceQuotaControllerOptions>;
  readonly podGc?: Partial<PodGcOptions>;
  readonly horizontalPodAutoscaler?: Partial<HorizontalControllerOptions>;
  /**
   * The API server's CA bundle (PEM) the root CA publisher puts in every namespace
   * (--root-ca-file); without one that controller does not run.
   */
  readonly rootCA?: string;
  readonly persistentVolume?: Partial<PersistentVolumeControllerOptions>;
  /**
   * --allocate-node-cidrs with --cluster-cidr and --node-cidr-mask-size: the node IPAM
   * controller gives each Node a pod range; without it that controller does not run (nodes
   * then bring their own, as the simulator's kubelets do).
   */
  readonly allocateNodeCIDRs?: NodeIpamOptions;
  /**
   * --cluster-signing-cert-file/--cluster-signing-key-file: what signs approved kubelet client
   * requests; without it neither the CSR approving nor the signing controller runs.
   */
  readonly clusterSigning?: CertificateSigner;
  /** --cluster-signing-duration: the longest certificate the signer issues (default a year). */
  readonly clusterSigningDurationSeconds?: number;
  /** --leader-elect: true with upstream's timings, or some of them changed. */
  readonly leaderElection?: boolean | Partial<LeaderElectionOptions>;
  /** --feature-gates (checked with featureGateProblems by whoever builds the options). */
  readonly featureGates?: Readonly<Record<string, boolean>>;
}

/**
 * kube-controller-manager: one process running a set of controllers over shared informers, so
 * each resource is listed and watched once however many controllers read it. Built and started
 * in the constructor, like the other service processes; a crash drops everything and a restart
 * rebuilds it from the API server. With leader election (the kube-system/kube-controller-manager
 * Lease, 15 s / 10 s / 2 s) only the leader runs controllers: a standby takes over within the
 * lease duration once the leader stops renewing, and a leader that cannot renew within the
 * renew deadline stops everything and campaigns again (upstream's process exits and is
 * restarted).
 */
export class ControllerManager {
  private running: { informers: SharedInformers; controllers: readonly Controller[] } | undefined;

  /**
   * `api` serves the shared informers; `clientFor` gives each controller the client it writes
   * with (its own identity), `api` when absent.
   */
  constructor(
    private readonly ports: ProcessPorts,
    api: ApiClient,
    options: ControllerManagerOptions = {},
    clientFor: (controller: ControllerName) => ApiClient = () => api,
  ) {
    const start = (): void => {
      this.running = this.startControllers(api, options, clientFor);
    };
    const election = options.leaderElection;
    if (election === undefined || election === false) {
      start();
      return;
    }
    const elector = new LeaderElector(ports, api, candidateIdentity(ports), {
      ...DEFAULT_LEADER_ELECTION,
      name: 'kube-controller-manager',
      ...(election === true ? {} : election),
    });
    ports.spawn(() => elector.run(start, () => this.stop()));
  }

  /** The shared informers of the current term (none while not leading). */
  get informers(): SharedInformers | undefined {
    return this.running?.informers;
  }

  get controllers(): readonly Controller[] {
    return this.running?.controllers ?? [];
  }

  private startControllers(
    api: ApiClient,
    options: ControllerManagerOptions,
    clientFor: (controller: ControllerName) => ApiClient,
  ): { informers: SharedInformers; controllers: readonly Controller[] } {
    const informers = new SharedInformers(this.ports, api);
    const enabled = new Set(options.controllers ?? DEFAULT_CONTROLLERS);
    const controllers: Controller[] = [];
    for (const name of ALL_CONTROLLERS) {
      if (!enabled.has(name)) continue;
      const controller = this.build(name, clientFor(name), options, informers);
      if (controller !== undefined) controllers.push(controller);
    }
    informers.start();
    for (const c of controllers) this.ports.spawn(() => c.run());
    this.ports.trace.emit('controller-manager.start', {
      controllers: controllers.map((c) => c.name),
    });
    return { informers, controllers };
  }

  controller<T extends Controller>(name: ControllerName): T | undefined {
    return this.controllers.find((c) => c.name === name) as T | undefined;
  }

  stop(): void {
    const running = this.running;
    this.running = undefined;
    if (running === undefined) return;
    for (const c of running.controllers) c.stop();
    running.informers.stop();
  }

  private build(
    name: ControllerName,
    api: ApiClient,
    options: ControllerManagerOptions,
    informers: SharedInformers,
  ): Controller | undefined {
    switch (name) {
      case 'replicaset':
        return new ReplicaSetController(this.ports, api, informers, {
          ...DEFAULT_REPLICA_SET_CONTROLLER,
          ...options.replicaSet,
        });
      case 'replicationcontroller':
        // --concurrent-rc-syncs and the burst are the ReplicaSet controller's settings upstream.
        return new ReplicaSetController(
          this.ports,
          api,
          informers,
          { ...DEFAULT_REPLICA_SET_CONTROLLER, ...options.replicaSet },
          REPLICATION_CONTROLLER,
        );
      case 'deployment':
        return new DeploymentController(this.ports, api, informers, {
          ...DEFAULT_DEPLOYMENT_CONTROLLER,
          ...options.deployment,
        });
      case 'statefulset':
        return new StatefulSetController(
          this.ports,
          api,
          informers,
          { ...DEFAULT_STATEFUL_SET_CONTROLLER, ...options.statefulSet },
          featureGates(options.featureGates),
        );
      case 'daemonset':
        return new DaemonSetController(this.ports, api, informers, {
          ...DEFAULT_DAEMON_SET_CONTROLLER,
          ...options.daemonSet,
        });
      case 'job':
        return new JobController(this.ports, api, informers, {
          ...DEFAULT_JOB_CONTROLLER,
          ...options.job,
        });
      case 'cronjob':
        return new CronJobController(this.ports, api, informers, {
          ...DEFAULT_CRON_JOB_CONTROLLER,
          ...options.cronJob,
        });
      case 'ttl-after-finished':
        return new TtlAfterFinishedController(this.ports, api, informers, {
          ...DEFAULT_TTL_AFTER_FINISHED,
          ...options.ttlAfterFinished,
        });
      case 'endpointslice':
        return new EndpointSliceController(this.ports, api, informers, {
          ...DEFAULT_ENDPOINT_SLICE_CONTROLLER,
          ...options.endpointSlice,
        });
      case 'endpoint':
        return new EndpointsController(this.ports, api, informers, {
          ...DEFAULT_ENDPOINTS_CONTROLLER,
          ...options.endpoints,
        });
      case 'endpointslicemirroring':
        return new EndpointSliceMirroringController(this.ports, api, informers);
      case 'node-lifecycle':
        return new NodeLifecycleController(this.ports, api, informers, {
          ...DEFAULT_NODE_LIFECYCLE,
          ...options.nodeLifecycle,
        });
      case 'csrapproving':
        // Upstream runs the approver everywhere; here it runs with the signer, so a cluster
        // that signs nothing keeps its traffic (no CSR informer) unchanged.
        return options.clusterSigning === undefined
          ? undefined
          : new CsrApprovingController(this.ports, api, informers);
      case 'csrsigning':
        return options.clusterSigning === undefined
          ? undefined
          : new CsrSigningController(
              this.ports,
              api,
              informers,
              options.clusterSigning,
              options.clusterSigningDurationSeconds,
            );
      case 'nodeipam':
        return options.allocateNodeCIDRs === undefined
          ? undefined
          : new NodeIpamController(this.ports, api, informers, options.allocateNodeCIDRs);
      case 'taint-eviction':
        return new TaintEvictionController(this.ports, api, informers);
      case 'disruption':
        return new DisruptionController(this.ports, api, informers);
      case 'garbagecollector':
        return new GarbageCollector(this.ports, api, informers, {
          ...DEFAULT_GARBAGE_COLLECTOR,
          ...options.garbageCollector,
        });
      case 'namespace':
        return new NamespaceController(this.ports, api, informers, {
          ...DEFAULT_NAMESPACE_CONTROLLER,
          ...options.namespace,
        });
      case 'serviceaccount':
        return new ServiceAccountsController(this.ports, api, informers);
      case 'root-ca-cert-publisher':
        return options.rootCA === undefined
          ? undefined
          : new RootCaCertPublisher(this.ports, api, informers, options.rootCA);
      case 'podgc':
        return new PodGcController(this.ports, api, informers, {
          ...DEFAULT_POD_GC,
          ...options.podGc,
        });
      case 'horizontalpodautoscaling':
        return new HorizontalController(this.ports, api, informers, {
          ...DEFAULT_HORIZONTAL_CONTROLLER,
          ...options.horizontalPodAutoscaler,
        });
      case 'persistentvolume-binder':
        return new PersistentVolumeController(this.ports, api, informers, {
          ...DEFAULT_PERSISTENT_VOLUME_CONTROLLER,
          ...options.persistentVolume,
        });
      case 'pvc-protection':
        return new PvcProtectionController(this.ports, api, informers);
      case 'pv-protection':
        return new PvProtectionController(this.ports, api, informers);
      case 'resourcequota':
        return new ResourceQuotaController(this.ports, api, informers, {
          ...DEFAULT_RESOURCE_QUOTA_CONTROLLER,
          ...options.resourceQuota,
        });
    }
  }
}
