/**
 * API Priority and Fairness (k8s.io/apiserver/pkg/util/flowcontrol/apf_controller.go and
 * apf_filter.go, server/filters/priority-and-fairness.go): each request is classified by the
 * first FlowSchema that matches it, into a flow (the schema and the user's name or the request's
 * namespace) of the schema's priority level. An exempt level lets it through; a limited one
 * queues it in its QueueSet, whose seats are the level's share of the server's concurrency
 * limit (--max-requests-inflight + --max-mutating-requests-inflight).
 *
 * Seats are fixed at each level's nominal concurrency limit: levels do not lend or borrow
 * (upstream rebalances every 10 s from seat demand), and every request is one seat wide
 * (upstream's work estimator widens large LISTs and charges writes for their watchers).
 */
import type { HttpMethod } from '../../api/http.ts';
import type { Clock, Micros } from '../../ports/clock.ts';
import { assert } from '../../util/assert.ts';
import type { UserInfo } from '../authn/user.ts';
import {
  DEFAULT_FLOW_CONTROL,
  type FlowControlConfig,
  type FlowSchemaConfig,
  type PriorityLevelConfig,
} from './config.ts';
import { matchesFlowSchema, precedenceOrder, requestDigest } from './matching.ts';
import { QueueSet, type Admission } from './queue-set.ts';
import { hashFlowId } from './shuffle-shard.ts';

/**
 * How long a request may wait in a queue: a quarter of its deadline, the default request
 * timeout of 60 s (--request-timeout), as getRequestWaitContext allows.
 */
export const DEFAULT_QUEUE_WAIT_LIMIT_US = 15_000_000;

export interface FlowControlOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight. */
  readonly serverConcurrencyLimit: number;
  readonly config?: FlowControlConfig;
  readonly queueWaitLimitUs?: Micros;
}

/** Where a request was classified. */
export interface Classification {
  readonly flowSchema: string;
  readonly priorityLevel: string;
  /** undefined for the exempt level. */
  readonly queueSet: QueueSet | undefined;
  readonly flowHash: bigint;
}

export class FlowControl {
  private readonly schemas: readonly FlowSchemaConfig[];
  private readonly levels = new Map<string, QueueSet | undefined>();
  /** Flow hashes by schema, then distinguisher: no key string is built per request. */
  private readonly hashes = new Map<string, Map<string, bigint>>();
  private hashCount = 0;

  constructor(
    options: FlowControlOptions,
    clock: Pick<Clock, 'monotonicNow' | 'setTimer' | 'cancelTimer'>,
  ) {
    const config = options.config ?? DEFAULT_FLOW_CONTROL;
    const limits = nominalConcurrencyLimits(config.priorityLevels, options.serverConcurrencyLimit);
    const waitLimitUs = options.queueWaitLimitUs ?? DEFAULT_QUEUE_WAIT_LIMIT_US;
    for (const level of config.priorityLevels) {
      this.levels.set(
        level.name,
        level.type === 'Exempt'
          ? undefined
          : new QueueSet(
              {
                name: level.name,
                concurrencyLimit: limits.get(level.name) as number,
                waitLimitUs,
                ...(level.queuing === undefined ? {} : { queuing: level.queuing }),
              },
              clock,
            ),
      );
    }
    for (const schema of config.flowSchemas) {
      assert(
        this.levels.has(schema.priorityLevel),
        `FlowSchema ${schema.name} refers to priority level ${schema.priorityLevel}, which does not exist`,
      );
    }
    this.schemas = precedenceOrder(config.flowSchemas);
    assert(
      this.schemas.some((s) => s.name === CATCH_ALL),
      `the flow control configuration needs the mandatory FlowSchema ${CATCH_ALL}`,
    );
  }

  /** The queue set of a limited priority level (for tests and reports). */
  queueSet(priorityLevel: string): QueueSet | undefined {
    return this.levels.get(priorityLevel);
  }

  /** The first matching FlowSchema; catch-all when none matches, as upstream falls back. */
  classify(
    user: UserInfo,
    method: HttpMethod,
    path: string,
    query: Readonly<Record<string, string>>,
  ): Classification {
    const digest = requestDigest(method, path, query);
    const schema =
      this.schemas.find((s) => matchesFlowSchema(s, user, digest)) ??
      (this.schemas.find((s) => s.name === CATCH_ALL) as FlowSchemaConfig);
    const distinguisher =
      schema.distinguisherMethod === 'ByUser'
        ? user.name
        : schema.distinguisherMethod === 'ByNamespace' && digest.kind === 'resource'
          ? digest.namespace
          : '';
    return {
      flowSchema: schema.name,
      priorityLevel: schema.priorityLevel,
      queueSet: this.levels.get(schema.priorityLevel),
      flowHash: this.flowHash(schema.name, distinguisher),
    };
  }

  /** Admits a classified request: executes, waits in a queue, or is rejected. */
  admit(flow: Classification): Admission | undefined {
    return flow.queueSet?.start(flow.flowHash);
  }

  private flowHash(schema: string, distinguisher: string): bigint {
    let bySchema = this.hashes.get(schema);
    let hash = bySchema?.get(distinguisher);
    if (hash === undefined) {
      hash = hashFlowId(schema, distinguisher);
      // One entry per user or namespace seen: bounded, like the queue sets' hands.
      if (this.hashCount >= MAX_REMEMBERED_FLOWS) {
        this.hashes.clear();
        this.hashCount = 0;
        bySchema = undefined;
      }
      if (bySchema === undefined) {
        bySchema = new Map();
        this.hashes.set(schema, bySchema);
      }
      bySchema.set(distinguisher, hash);
      this.hashCount++;
    }
    return hash;
  }
}

const CATCH_ALL = 'catch-all';
const MAX_REMEMBERED_FLOWS = 4096;

/**
 * Each limited level's nominal concurrency limit: its share of the server's limit, rounded up
 * (ceil(serverCL * nominalConcurrencyShares / sum of all levels' shares)).
 */
export function nominalConcurrencyLimits(
  levels: readonly PriorityLevelConfig[],
  serverConcurrencyLimit: number,
): Map<string, number> {
  assert(
    Number.isInteger(serverConcurrencyLimit) && serverConcurrencyLimit > 0,
    `the server's concurrency limit (max-requests-inflight + max-mutating-requests-inflight) must be a positive integer, not ${serverConcurrencyLimit}`,
  );
  let shareSum = 0;
  for (const level of levels) {
    if (level.type === 'Limited') shareSum += level.nominalConcurrencyShares;
  }
  const limits = new Map<string, number>();
  for (const level of levels) {
    if (level.type !== 'Limited') continue;
    limits.set(
      level.name,
      Math.ceil((serverConcurrencyLimit * level.nominalConcurrencyShares) / shareSum),
    );
  }
  return limits;
}
