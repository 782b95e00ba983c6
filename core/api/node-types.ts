/** core/v1 Node in its JSON shape (staging/src/k8s.io/api/core/v1/types.go). */
import type { ConditionStatus, ObjectMeta, Time } from './meta-types.ts';
import type { ResourceList, TaintEffect } from './pod-types.ts';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
  readonly timeAdded?: Time;
}

export interface NodeSpec {
  readonly podCIDR?: string;
  readonly podCIDRs?: readonly string[];
  readonly providerID?: string;
  readonly unschedulable?: boolean;
  readonly taints?: readonly Taint[];
}

export type NodeConditionType =
  | 'Ready'
  | 'MemoryPressure'
  | 'DiskPressure'
  | 'PIDPressure'
  | 'NetworkUnavailable'
  | (string & {});

export interface NodeCondition {
  readonly type: NodeConditionType;
  readonly status: ConditionStatus;
  readonly lastHeartbeatTime?: Time;
  readonly lastTransitionTime?: Time;
  readonly reason?: string;
  readonly message?: string;
}

export type NodeAddressType =
  'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';

export interface NodeAddress {
  readonly type: NodeAddressType;
  readonly address: string;
}

export interface NodeSystemInfo {
  readonly machineID: string;
  readonly systemUUID: string;
  readonly bootID: string;
  readonly kernelVersion: string;
  readonly osImage: string;
  readonly containerRuntimeVersion: string;
  readonly kubeletVersion: string;
  readonly kubeProxyVersion: string;
  readonly operatingSystem: string;
  readonly architecture: string;
}

export interface ContainerImage {
  readonly names?: readonly string[];
  readonly sizeBytes?: number;
}

export interface NodeStatus {
  readonly capacity?: ResourceList;
  readonly allocatable?: ResourceList;
  readonly phase?: string;
  readonly conditions?: readonly NodeCondition[];
  readonly addresses?: readonly NodeAddress[];
  readonly nodeInfo?: NodeSystemInfo;
  readonly images?: readonly ContainerImage[];
  readonly daemonEndpoints?: NodeDaemonEndpoints;
}

/** Where the node's daemons listen (the kubelet's port). */
export interface NodeDaemonEndpoints {
  readonly kubeletEndpoint?: { readonly Port: number };
}

export interface Node {
  readonly apiVersion: 'v1';
  readonly kind: 'Node';
  readonly metadata: ObjectMeta;
  readonly spec?: NodeSpec;
  readonly status?: NodeStatus;
}
