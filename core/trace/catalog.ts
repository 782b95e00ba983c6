import { assert } from '../util/assert.ts';
import type { TraceRecordDefinition } from './define.ts';
import { APISERVER_RECORDS } from './records/apiserver.ts';
import { CONTROLLER_RECORDS } from './records/controllers.ts';
import { FAULT_RECORDS } from './records/faults.ts';
import { HEADER_RECORDS } from './records/header.ts';
import { INVARIANT_RECORDS } from './records/invariants.ts';
import { KUBELET_RECORDS } from './records/kubelet.ts';
import { METRICS_RECORDS } from './records/metrics.ts';
import { LEADER_ELECTION_RECORDS } from './records/leader-election.ts';
import { OBJECT_LIFECYCLE_RECORDS } from './records/object-lifecycle.ts';
import { PROXY_RECORDS } from './records/proxy.ts';
import { RUNNER_RECORDS } from './records/runner.ts';
import { TRAFFIC_RECORDS } from './records/traffic.ts';
import { RUNTIME_RECORDS } from './records/runtime.ts';
import { SCHEDULER_RECORDS } from './records/scheduler.ts';
import { SIM_RECORDS } from './records/sim.ts';
import { STORE_RECORDS } from './records/store.ts';
import { WATCH_RECORDS } from './records/watch.ts';

/** Every record kind, by area, in the order docs/trace.md lists them. */
export const TRACE_GROUPS = [
  HEADER_RECORDS,
  STORE_RECORDS,
  APISERVER_RECORDS,
  WATCH_RECORDS,
  SCHEDULER_RECORDS,
  CONTROLLER_RECORDS,
  LEADER_ELECTION_RECORDS,
  OBJECT_LIFECYCLE_RECORDS,
  KUBELET_RECORDS,
  METRICS_RECORDS,
  PROXY_RECORDS,
  RUNTIME_RECORDS,
  SIM_RECORDS,
  FAULT_RECORDS,
  RUNNER_RECORDS,
  TRAFFIC_RECORDS,
  INVARIANT_RECORDS,
] as const;

/** The union of every record definition: the types in types.ts are computed from it. */
export type TraceDefinition = (typeof TRACE_GROUPS)[number]['records'][number];

function byKind(): ReadonlyMap<string, TraceRecordDefinition> {
  const map = new Map<string, TraceRecordDefinition>();
  for (const group of TRACE_GROUPS) {
    for (const def of group.records) {
      assert(!map.has(def.kind), `trace kind ${def.kind} is defined twice`);
      map.set(def.kind, def);
    }
  }
  return map;
}

export const TRACE_DEFINITIONS: ReadonlyMap<string, TraceRecordDefinition> = byKind();
