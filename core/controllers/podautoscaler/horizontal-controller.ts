/**
 * The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go): every
 * sync period (15 s) each HPA reads its target through the scale subresource, computes a
 * replica count per metric from metrics.k8s.io (replica-calculator.ts), keeps the largest,
 * stabilizes and rate-limits it (normalize.ts), writes it back through the scale subresource
 * when it changed, and records status, conditions (AbleToScale, ScalingActive, ScalingLimited)
 * and Events as upstream.
 *
 * Resource and ContainerResource metrics (cpu and memory, Utilization and AverageValue) are
 * served; Pods, Object and External metrics need custom or external metrics APIs that nothing
 * serves here, so an HPA using them reports them invalid as upstream does when those APIs fail.
 */
import type {
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.d.ts';
import type { Scale } from '../../api/autoscaling-types.ts';
import type { HorizontalPodAutoscaler } from '../../api/kinds/horizontal-pod-autoscaler.ts';
import { definitionFor } from '../../api/kinds/index.ts';
import { keyOf } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import { isSelectorError, parseSelector } from '../../api/selectors.ts';
import { resourceAmount } from '../../api/resource-list.ts';
import {
  newMilliQuantity,
  formatQuantity,
  isQuantityError,
  milliValue,
  parseQuantity,
} from '../../api/quantity.ts';
import { pathOf, type ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import type { DeepReadonly } from '../../api/stored.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { EventRecorder } from '../common/events.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { resourceMetrics } from './metrics-client.ts';
import {
  emptyHistory,
  normalizeWithBehavior,
  normalizeWithoutBehavior,
  storeScaleEvent,
  type ScaleHistory,
} from './normalize.ts';
import {
  DEFAULT_CALCULATOR,
  rawResourceReplicas,
  resourceReplicas,
  type CalculatorOptions,
  type PodView,
} from './replica-calculator.ts';

export interface HorizontalControllerOptions extends CalculatorOptions {
  /** --horizontal-pod-autoscaler-sync-period. */
  readonly syncPeriodUs: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization. */
  readonly downscaleStabilizationUs: number;
  /** --concurrent-horizontal-pod-autoscaler-syncs. */
  readonly workers: number;
}

export const DEFAULT_HORIZONTAL_CONTROLLER: HorizontalControllerOptions = {
  ...DEFAULT_CALCULATOR,
  syncPeriodUs: 15_000_000,
  downscaleStabilizationUs: 300_000_000,
  workers: 5,
};

const HPA_GVK = { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' };

type Condition = HorizontalPodAutoscalerCondition;
type Status = DeepReadonly<MetricStatus>;
type Metric = DeepReadonly<MetricSpec>;

/** One metric's proposal, or why it has none. */
type Proposal =
  | {
      readonly ok: true;
      readonly replicas: number;
      readonly name: string;
      readonly status: Status;
    }
  | { readonly ok: false; readonly reason: string; readonly error: string };

export class HorizontalController implements Controller {
  readonly name = 'horizontalpodautoscaling';
  private readonly hpas: Informer<'HorizontalPodAutoscaler'>;
  private readonly pods: Informer<'Pod'>;
  private readonly queue: WorkQueue<string>;
  private readonly events: EventRecorder;
  private readonly histories = new Map<string, ScaleHistory>();
  /** Keys waiting for their next sync (one timer each). */
  private readonly scheduled = new Set<string>();
  private stopped = false;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: HorizontalControllerOptions = DEFAULT_HORIZONTAL_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.events = new EventRecorder(ports, api, 'horizontal-pod-autoscaler');
    this.hpas = informers.informer('HorizontalPodAutoscaler');
    this.pods = informers.informer('Pod');
    // Upstream enqueues through a rate limiter of one sync period per item.
    this.hpas.addEventHandler({
      onAdd: (h) => this.schedule(keyOf(h)),
      onUpdate: (_o, h) => this.schedule(keyOf(h)),
      onDelete: (h) => this.histories.delete(keyOf(h)),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.hpas, this.pods]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.stopped = true;
    this.queue.shutDown();
  }

  private schedule(key: string): void {
    if (this.scheduled.has(key) || this.stopped) return;
    this.scheduled.add(key);
    this.ports.clock.setTimer(this.options.syncPeriodUs, () => {
      this.scheduled.delete(key);
      this.queue.add(key);
    });
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const hpa = this.hpas.get(key);
      if (hpa === undefined) this.histories.delete(key);
      else {
        await this.reconcile(hpa);
        this.schedule(key);
      }
      this.queue.done(key);
    }
  }

  private history(key: string): ScaleHistory {
    let h = this.histories.get(key);
    if (h === undefined) {
      h = emptyHistory();
      this.histories.set(key, h);
    }
    return h;
  }

  /** reconcileAutoscaler. */
  private async reconcile(hpa: HorizontalPodAutoscaler): Promise<void> {
    const key = keyOf(hpa);
    const nowUs = this.ports.clock.now();
    const conditions = new Conditions(hpa.status?.conditions ?? [], formatTime(nowUs));
    const ref = hpa.spec.scaleTargetRef;
    const target = `${ref.kind}/${ref.name}`;
    const scalePath = this.scalePath(hpa);
    const got =
      scalePath === undefined ? undefined : await this.api.request<Scale>('GET', scalePath);
    if (scalePath === undefined || got === undefined || !got.ok) {
      const why =
        got === undefined || got.ok
          ? `no scale subresource serves ${ref.apiVersion} ${ref.kind}`
          : describeFailure(got);
      conditions.set(
        'AbleToScale',
        'False',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: ${why}`,
      );
      this.events.event(hpa, HPA_GVK, 'Warning', 'FailedGetScale', why);
      await this.writeStatus(
        hpa,
        conditions,
        hpa.status?.currentReplicas ?? 0,
        hpa.status?.desiredReplicas ?? 0,
        hpa.status?.currentMetrics ?? [],
        false,
      );
      return;
    }
    const scale = got.value;
    conditions.set(
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
    );
    const currentReplicas = scale.spec.replicas ?? 0;
    const minReplicas = hpa.spec.minReplicas ?? 1;
    const maxReplicas = hpa.spec.maxReplicas;
    let desired = 0;
    let reason = '';
    let statuses: Status[] = hpa.status?.currentMetrics ? [...hpa.status.currentMetrics] : [];
    if (currentReplicas === 0 && minReplicas !== 0) {
      conditions.set(
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      );
      desired = 0;
    } else if (currentReplicas > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = await this.computeReplicasForMetrics(hpa, scale, conditions, nowUs);
      statuses = computed.statuses;
      if (computed.replicas === undefined) {
        this.events.event(hpa, HPA_GVK, 'Warning', 'FailedComputeMetricsReplicas', computed.error);
        await this.writeStatus(
          hpa,
          conditions,
          currentReplicas,
          hpa.status?.desiredReplicas ?? currentReplicas,
          statuses,
          false,
        );
        return;
      }
      desired = computed.replicas;
      if (desired > currentReplicas) reason = `${computed.metric} above target`;
      if (desired < currentReplicas) reason = 'All metrics below target';
      desired = this.normalize(hpa, key, conditions, currentReplicas, desired, minReplicas, nowUs);
    }
    const rescale = desired !== currentReplicas;
    if (rescale) {
      const put = await this.api.request<Scale>('PUT', scalePath, {
        body: { ...scale, spec: { ...scale.spec, replicas: desired } },
      });
      if (!put.ok) {
        const why = describeFailure(put);
        conditions.set(
          'AbleToScale',
          'False',
          'FailedUpdateScale',
          `the HPA controller was unable to update the target scale: ${why}`,
        );
        this.events.event(
          hpa,
          HPA_GVK,
          'Warning',
          'FailedRescale',
          `New size: ${desired}; reason: ${reason}; error: ${why}`,
        );
        await this.writeStatus(hpa, conditions, currentReplicas, desired, statuses, false);
        return;
      }
      conditions.set(
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${desired}`,
      );
      this.events.event(
        hpa,
        HPA_GVK,
        'Normal',
        'SuccessfulRescale',
        `New size: ${desired}; reason: ${reason}`,
      );
      const behavior = hpa.spec.behavior;
      if (behavior?.scaleUp !== undefined && behavior.scaleDown !== undefined) {
        storeScaleEvent(
          this.history(key),
          behavior.scaleUp,
          behavior.scaleDown,
          currentReplicas,
          desired,
          nowUs,
        );
      }
      this.ports.trace.emit('hpa.rescale', {
        hpa: key,
        target,
        from: currentReplicas,
        to: desired,
        reason,
      });
    }
    await this.writeStatus(hpa, conditions, currentReplicas, desired, statuses, rescale);
  }

  private normalize(
    hpa: HorizontalPodAutoscaler,
    key: string,
    conditions: Conditions,
    currentReplicas: number,
    desiredReplicas: number,
    minReplicas: number,
    nowUs: number,
  ): number {
    const args = {
      currentReplicas,
      desiredReplicas,
      minReplicas,
      maxReplicas: hpa.spec.maxReplicas,
      nowUs,
      downscaleStabilizationUs: this.options.downscaleStabilizationUs,
    };
    const behavior = hpa.spec.behavior;
    const n =
      behavior?.scaleUp !== undefined && behavior.scaleDown !== undefined
        ? normalizeWithBehavior(this.history(key), args, behavior.scaleUp, behavior.scaleDown)
        : normalizeWithoutBehavior(this.history(key), args);
    conditions.set('AbleToScale', 'True', n.ableToScale.reason, n.ableToScale.message);
    conditions.set(
      'ScalingLimited',
      n.limited.status ? 'True' : 'False',
      n.limited.reason,
      n.limited.message,
    );
    return n.replicas;
  }

  /** computeReplicasForMetrics: the largest proposal; fails when no metric gives one. */
  private async computeReplicasForMetrics(
    hpa: HorizontalPodAutoscaler,
    scale: Scale,
    conditions: Conditions,
    nowUs: number,
  ): Promise<{ replicas?: number; metric: string; statuses: Status[]; error: string }> {
    const selectorText = scale.status.selector ?? '';
    if (selectorText === '') {
      const error = 'selector is required';
      this.events.event(hpa, HPA_GVK, 'Warning', 'SelectorRequired', error);
      conditions.set(
        'ScalingActive',
        'False',
        'InvalidSelector',
        "the HPA target's scale is missing a selector",
      );
      return { metric: '', statuses: [], error };
    }
    const selector = parseSelector(selectorText);
    if (isSelectorError(selector)) {
      const error = `couldn't convert selector into a corresponding internal selector object: ${selector.message}`;
      this.events.event(hpa, HPA_GVK, 'Warning', 'InvalidSelector', error);
      conditions.set('ScalingActive', 'False', 'InvalidSelector', error);
      return { metric: '', statuses: [], error };
    }
    const namespace = hpa.metadata.namespace ?? 'default';
    const pods = this.pods
      .list()
      .filter((p) => p.metadata.namespace === namespace && selector.matches(p.metadata.labels));
    const specReplicas = scale.spec.replicas ?? 0;
    const metrics = hpa.spec.metrics ?? [];
    const statuses: Status[] = [];
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstInvalid: { reason: string; error: string } | undefined;
    for (const spec of metrics) {
      const p = await this.proposal(hpa, spec, specReplicas, selectorText, pods, nowUs);
      if (!p.ok) {
        statuses.push({ type: '' });
        if (firstInvalid === undefined) {
          firstInvalid = p;
          this.events.event(hpa, HPA_GVK, 'Warning', p.reason, p.error);
        }
        invalid++;
        continue;
      }
      statuses.push(p.status);
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.name;
      }
    }
    if (firstInvalid !== undefined && (invalid >= metrics.length || replicas < specReplicas)) {
      conditions.set(
        'ScalingActive',
        'False',
        firstInvalid.reason,
        `the HPA was unable to compute the replica count: ${firstInvalid.error}`,
      );
      const error =
        invalid >= metrics.length
          ? `invalid metrics (${invalid} invalid out of ${metrics.length}), first error is: ${firstInvalid.error}`
          : firstInvalid.error;
      return { metric: '', statuses: statuses.filter((s) => s.type !== ''), error };
    }
    conditions.set(
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${metric}`,
    );
    return { replicas, metric, statuses: statuses.filter((s) => s.type !== ''), error: '' };
  }

  /** computeStatusForResourceMetric / computeStatusForContainerResourceMetric. */
  private async proposal(
    hpa: HorizontalPodAutoscaler,
    spec: Metric,
    currentReplicas: number,
    selector: string,
    pods: readonly Pod[],
    nowUs: number,
  ): Promise<Proposal> {
    const source =
      spec.type === 'Resource'
        ? spec.resource
        : spec.type === 'ContainerResource'
          ? spec.containerResource
          : undefined;
    const failed =
      spec.type === 'ContainerResource'
        ? 'FailedGetContainerResourceMetric'
        : 'FailedGetResourceMetric';
    if (source === undefined) {
      return {
        ok: false,
        reason: `FailedGet${spec.type}Metric`,
        error: `unable to get metric of type ${spec.type}: no ${spec.type.toLowerCase()} metrics API is served`,
      };
    }
    const container = 'container' in source ? (source.container as string) : undefined;
    const resource = source.name;
    const got = await resourceMetrics(
      this.api,
      resource,
      hpa.metadata.namespace ?? 'default',
      selector,
      container,
    );
    if (!got.ok) return { ok: false, reason: failed, error: got.error };
    const views = pods.map((p) => podView(p, resource, container));
    const what =
      container === undefined ? `${resource} resource` : `${resource} container resource`;
    const target = source.target;
    if (target.averageValue !== undefined) {
      const q = parseQuantity(String(target.averageValue));
      const targetMilli = isQuantityError(q) ? 0 : milliValue(q);
      const c = rawResourceReplicas(
        currentReplicas,
        targetMilli,
        resource,
        views,
        got.metrics,
        nowUs,
        this.options,
      );
      if (!c.ok)
        return { ok: false, reason: failed, error: `failed to get ${resource} usage: ${c.error}` };
      return {
        ok: true,
        replicas: c.replicas,
        name: what,
        status: metricStatus(resource, container, {
          averageValue: milliQuantity(c.rawAverageMilli),
        }),
      };
    }
    const utilization = target.averageUtilization;
    if (utilization === undefined) {
      return {
        ok: false,
        reason: failed,
        error:
          'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
      };
    }
    const c = resourceReplicas(
      currentReplicas,
      utilization,
      resource,
      views,
      got.metrics,
      nowUs,
      this.options,
    );
    if (!c.ok)
      return {
        ok: false,
        reason: failed,
        error: `failed to get ${resource} utilization: ${c.error}`,
      };
    return {
      ok: true,
      replicas: c.replicas,
      name: `${what} utilization (percentage of request)`,
      status: metricStatus(resource, container, {
        averageUtilization: c.utilization,
        averageValue: milliQuantity(c.rawAverageMilli),
      }),
    };
  }

  private scalePath(hpa: HorizontalPodAutoscaler): string | undefined {
    const ref = hpa.spec.scaleTargetRef;
    const d = definitionFor(ref.kind);
    if (d === undefined || d.resource.apiVersion !== ref.apiVersion) return undefined;
    if (!d.subresources.some((s) => s.kind === 'scale')) return undefined;
    return pathOf(d.resource, hpa.metadata.namespace ?? 'default', ref.name, 'scale');
  }

  /** setStatus and updateStatusIfNeeded: written only when something changed. */
  private async writeStatus(
    hpa: HorizontalPodAutoscaler,
    conditions: Conditions,
    currentReplicas: number,
    desiredReplicas: number,
    currentMetrics: readonly Status[],
    rescaled: boolean,
  ): Promise<void> {
    const old = hpa.status;
    const lastScaleTime = rescaled ? formatTime(this.ports.clock.now()) : old?.lastScaleTime;
    const status: DeepReadonly<HorizontalPodAutoscalerStatus> = {
      currentReplicas,
      desiredReplicas,
      ...(currentMetrics.length === 0 ? {} : { currentMetrics: [...currentMetrics] }),
      ...(lastScaleTime === undefined ? {} : { lastScaleTime }),
      conditions: conditions.list,
    };
    if (JSON.stringify(status) === JSON.stringify(old ?? {})) return;
    const r = await this.api.updateStatus({ ...hpa, status });
    if (!r.ok) {
      this.events.event(hpa, HPA_GVK, 'Warning', 'FailedUpdateStatus', describeFailure(r));
    }
  }
}

/** The HPA's conditions as one reconcile changes them (setCondition keeps transition times). */
class Conditions {
  constructor(
    private conditions: readonly Condition[],
    private readonly now: string,
  ) {}

  get list(): Condition[] {
    return [...this.conditions];
  }

  set(type: string, status: 'True' | 'False', reason: string, message: string): void {
    const i = this.conditions.findIndex((c) => c.type === type);
    const old = i < 0 ? undefined : this.conditions[i];
    const next: Condition = {
      type,
      status,
      reason,
      message,
      lastTransitionTime:
        old !== undefined && old.status === status
          ? (old.lastTransitionTime ?? this.now)
          : this.now,
    };
    const list = [...this.conditions];
    if (i < 0) list.push(next);
    else list[i] = next;
    this.conditions = list;
  }
}

function milliQuantity(milli: number): string {
  return formatQuantity(newMilliQuantity(BigInt(milli), 'DecimalSI'));
}

function metricStatus(
  resource: string,
  container: string | undefined,
  current: { averageUtilization?: number; averageValue: string },
): Status {
  return container === undefined
    ? { type: 'Resource', resource: { name: resource, current } }
    : { type: 'ContainerResource', containerResource: { name: resource, container, current } };
}

/** What the replica calculator reads of a pod. */
function podView(pod: Pod, resource: string, container: string | undefined): PodView {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  const start = pod.status?.startTime;
  return {
    name: pod.metadata.name ?? '',
    phase: pod.status?.phase ?? 'Pending',
    deleting: pod.metadata.deletionTimestamp !== undefined,
    startTimeUs: start === undefined ? undefined : parseTime(start),
    ready:
      ready === undefined
        ? undefined
        : {
            status: ready.status,
            lastTransitionUs: parseTime(ready.lastTransitionTime ?? '') ?? 0,
          },
    requests: pod.spec.containers
      .filter((c) => container === undefined || c.name === container)
      .map((c) => {
        const q = c.resources?.requests?.[resource];
        return {
          container: c.name,
          milli: q === undefined ? undefined : resourceAmountMilli(resource, String(q)),
        };
      }),
  };
}

function resourceAmountMilli(resource: string, q: string): number {
  const parsed = parseQuantity(q);
  return isQuantityError(parsed) ? resourceAmount(resource, q) : milliValue(parsed);
}
