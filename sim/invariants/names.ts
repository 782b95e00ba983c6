/**
 * The always-on invariants of a simulated cluster, by name: the name is what a violation's
 * trace record, `ksim run`'s output and a scenario's `invariants: {name: false}` use.
 */
export const INVARIANT_DOCS = {
  'raft-safety':
    "Raft's safety properties over the store members: one leader per term, log matching, leader completeness, state machine safety, revisions, and reads served only at a confirmed read index (sim/check/raft-invariants.ts).",
  'pod-bound-once':
    'A pod (by uid) is bound to at most one node and never moves: once spec.nodeName is committed, it never changes.',
  'node-overcommit':
    "A binding never makes the requests (cpu, memory, pods) of a node's non-terminal pods exceed its allocatable. Pods created with spec.nodeName set bypass the scheduler and are counted but not blamed; a node holding a pod whose binding the scheduler saw fail (a timeout whose write still committed, after the scheduler gave the room away) is not checked.",
  'one-leader-per-lease':
    'At most one acting leader per leader-election Lease at any virtual time: from a leader-election.acquired record until its leader-election.lost or its process crashes.',
  'owner-outlived':
    "At the end of a run, no object has outlived all of its owners (by uid) by more than the garbage collector's bound (60 s).",
  'service-live-endpoints':
    "At the end of a run, every running node's kube-proxy rules route only to pods that exist, or that went less than 30 s ago (a node's proxy learns of a deletion through its watch).",
  'gc-live-owner':
    'The garbage collector never deletes an object that still has a live owner (one that exists and is not being deleted).',
  'store-linearizable':
    "The history of the API servers' store operations (each call, its answer, or an unknown outcome) is linearizable (sim/check's checker). Sampled for long runs: the first 2,000 operations are checked.",
  'watch-gap-free':
    'Every API watch stream that starts from a resourceVersion delivers the committed changes it selects in revision order, each once, with none missing before a later event or bookmark, until it ends (a 410 or a close; the client then resumes or relists). Events and Leases are not checked.',
  'rolling-update-bounds':
    "A Deployment's ReplicaSet is never scaled up so that the Deployment's ReplicaSets together ask for more pods than replicas + maxSurge, as the controller computed them for that write (the max-replicas annotation).",
  'container-runs-once':
    'No pod sandbox on a node runs two instances of the same container at once (checked whenever a kubelet starts a container).',
} as const;

export type InvariantName = keyof typeof INVARIANT_DOCS;

export const INVARIANT_NAMES = Object.keys(INVARIANT_DOCS) as readonly InvariantName[];

export function isInvariantName(name: string): name is InvariantName {
  return Object.hasOwn(INVARIANT_DOCS, name);
}
