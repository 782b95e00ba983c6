/**
 * The names and identities of the processes a cluster runs. Faults, scenarios and reports name
 * processes; the API server records who made each request. Both are decided here only.
 */
export const API_SERVER = 'apiserver';
export const SCHEDULER = 'scheduler';
export const CONTROLLER_MANAGER = 'controller-manager';
export const STORE_MEMBER_PREFIX = 'etcd';

/** Store members are `etcd-0`, `etcd-1`, ...; member `i` has Raft id `i + 1`. */
export function storeMemberName(index: number, prefix: string = STORE_MEMBER_PREFIX): string {
  return `${prefix}-${index}`;
}

/** The user names upstream's components authenticate as. */
export const SCHEDULER_USER = 'system:kube-scheduler';
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export function nodeUser(nodeName: string): string {
  return `system:node:${nodeName}`;
}

/** How long a component waits for the API server before it counts a request as unanswered. */
export const COMPONENT_REQUEST_TIMEOUT_US = 10_000_000;
