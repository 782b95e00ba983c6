/**
 * The CPU cost model of a simulated cluster: how many cores each control-plane process has and
 * what each kind of work costs on one (sim/cpu.ts runs it). `zero`, the default, makes every
 * computation free, as ksim always did; `upstream-like` makes virtual time pass for work, with
 * constants calibrated against upstream's published figures below.
 *
 * Every constant is an ESTIMATE: upstream publishes throughputs and latencies of whole
 * components on given machines, not per-operation CPU costs. Each cost is chosen so that the
 * component, run alone on its modelled cores, reaches the published figure; the comment says
 * which figure and how.
 */
import type { ProcessRole } from '../core/cluster/assembly.ts';
import { CPU_WORK_KINDS, type CpuWork } from '../core/ports/cpu.ts';
import type { CpuProfile, WorkCost } from './cpu.ts';

export const COST_MODELS = ['zero', 'upstream-like'] as const;
export type CostModelName = (typeof COST_MODELS)[number];

/** The roles whose processes are charged; nodes (kubelet, kube-proxy) and metrics-server run free. */
export const CHARGED_ROLES = ['store', 'apiserver', 'scheduler', 'controller-manager'] as const;
export type ChargedRole = (typeof CHARGED_ROLES)[number];

/** A cost model: a named one, with cores per component and costs per kind of work overridden. */
export interface CostModelSpec {
  readonly model: CostModelName;
  readonly cores?: Partial<Record<ChargedRole, number>>;
  readonly costs?: Partial<Record<CpuWork, Partial<WorkCost>>>;
}

const cost = (baseUs: number, perUnitUs = 0): WorkCost => ({ baseUs, perUnitUs });

/**
 * upstream-like costs per kind of work (units as core/ports/cpu.ts defines them).
 *
 * - scheduler.attempt: 500 µs + 0.5 µs per node filtered or scored. Upstream's scheduler_perf
 *   CI (test/integration/scheduler_perf, perf-dash "SchedulingBasic/5000Nodes") sees 300-1,000
 *   pods/s for 5,000 nodes, and its performance-config.yaml sets floors of 680 and 810 pods/s
 *   for SchedulingBasic 5000Nodes_10000Pods and _50000Pods (scenarios/bench/scheduler/misc).
 *   At 5,000 nodes percentageOfNodesToScore (adaptive: 50% - 5000/125 = 10%) stops after 500
 *   feasible nodes, so an attempt filters and scores ~1,000 nodes: 1 ms, 1,000 pods/s, just
 *   above those floors. At 500 nodes (230 + 230 nodes) it is 730 µs, ~1,370 pods/s.
 * - api.*: the API server's handler chain (authn, authz, admission, defaulting, validation,
 *   conversion, JSON encode/decode) per request plus encoding per KiB. No per-request CPU figure
 *   is published; these give an 8-core API server the CPU for ~15,000 reads/s or ~6,500
 *   writes/s of 3 KiB objects, so that it stays within the API call latency SLO (p99 <= 1 s
 *   for mutating and single-object calls; kubernetes/community sig-scalability/slos) at the
 *   load of upstream's 5,000-node density tests (a few thousand requests/s) and saturates
 *   beyond, as reported for large clusters.
 * - controller.reconcile: 500 µs a sync (informer cache reads, a diff, building requests; the
 *   requests themselves are the API server's). An estimate: upstream publishes none.
 * - raft.ready: 200 µs per Ready (one WAL write of the batch; the fsync's device latency is the
 *   simulated disk's, 1 ms by default, well inside etcd's guidance of a p99 WAL fsync under
 *   10 ms) + 10 µs per entry persisted and again per entry applied. The raft loop is serial, so
 *   with large batches a member peaks near 1e6 / 20 = 50,000 writes/s: etcd's performance
 *   guide (op-guide/performance, 3 members on 8 vCPUs, 1,000 clients) reports ~44,000-50,000
 *   writes/s.
 */
export const UPSTREAM_LIKE_COSTS: Readonly<Record<CpuWork, WorkCost>> = {
  'api.get': cost(400, 40),
  'api.list': cost(1_000, 40),
  'api.create': cost(1_000, 80),
  'api.update': cost(1_000, 80),
  'api.patch': cost(1_200, 80),
  'api.delete': cost(800, 40),
  'scheduler.attempt': cost(500, 0.5),
  'controller.reconcile': cost(500),
  'raft.ready': cost(200, 10),
};

/**
 * upstream-like cores per process: an etcd member and an API server on 8 vCPUs each (the
 * machines of etcd's performance guide; a large cluster's control-plane VM is bigger), and
 * kube-scheduler and kube-controller-manager with 2 each. The scheduler's scheduling cycle is
 * one goroutine whatever the cores (it waits for each attempt's charge before the next).
 */
export const UPSTREAM_LIKE_CORES: Readonly<Record<ChargedRole, number>> = {
  store: 8,
  apiserver: 8,
  scheduler: 2,
  'controller-manager': 2,
};

/** What a cost model field can be: a model's name, or a model with overrides. */
export function costModelSpec(model: CostModelName | CostModelSpec | undefined): CostModelSpec {
  if (model === undefined) return { model: 'zero' };
  return typeof model === 'string' ? { model } : model;
}

/**
 * The processor of each charged role under a cost model, undefined for roles that run free
 * (every role under `zero` without overrides, and nodes and metrics-server always).
 */
export function cpuProfiles(spec: CostModelSpec): (role: ProcessRole) => CpuProfile | undefined {
  const problems = costModelProblems(spec);
  if (problems.length > 0) throw new Error(`invalid cost model: ${problems.join('; ')}`);
  const base = spec.model === 'zero' ? ZERO_COSTS : UPSTREAM_LIKE_COSTS;
  const costs = Object.fromEntries(
    CPU_WORK_KINDS.map((k) => [k, { ...base[k], ...spec.costs?.[k] }]),
  ) as Record<CpuWork, WorkCost>;
  const free = CPU_WORK_KINDS.every((k) => costs[k].baseUs === 0 && costs[k].perUnitUs === 0);
  if (free) return () => undefined;
  return (role) => {
    if (!isChargedRole(role)) return undefined;
    return { cores: spec.cores?.[role] ?? UPSTREAM_LIKE_CORES[role], costs };
  };
}

/** Everything wrong with a cost model, each naming the field. */
export function costModelProblems(spec: CostModelSpec): string[] {
  const problems: string[] = [];
  if (!(COST_MODELS as readonly string[]).includes(spec.model)) {
    problems.push(`costModel.model must be one of ${COST_MODELS.join(', ')}, got ${spec.model}`);
  }
  for (const [role, cores] of Object.entries(spec.cores ?? {})) {
    if (!isChargedRole(role)) {
      problems.push(
        `costModel.cores.${role}: not a charged component (${CHARGED_ROLES.join(', ')})`,
      );
    } else if (!Number.isInteger(cores) || cores < 1) {
      problems.push(`costModel.cores.${role} must be a whole number >= 1, got ${cores}`);
    }
  }
  for (const [work, c] of Object.entries(spec.costs ?? {})) {
    if (!(CPU_WORK_KINDS as readonly string[]).includes(work)) {
      problems.push(`costModel.costs.${work}: not a kind of work (${CPU_WORK_KINDS.join(', ')})`);
      continue;
    }
    for (const [field, v] of Object.entries(c ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        problems.push(`costModel.costs.${work}.${field} must be a number >= 0, got ${String(v)}`);
      }
    }
  }
  return problems;
}

const ZERO_COSTS: Readonly<Record<CpuWork, WorkCost>> = Object.fromEntries(
  CPU_WORK_KINDS.map((k) => [k, cost(0)]),
) as Record<CpuWork, WorkCost>;

function isChargedRole(role: string): role is ChargedRole {
  return (CHARGED_ROLES as readonly string[]).includes(role);
}
