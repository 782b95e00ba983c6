/** Condition lists (pods, nodes, replica sets) updated the way upstream's Update*Condition do. */
import type { ConditionStatus, Time } from './meta-types.ts';

export interface ConditionLike {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: Time;
}

export function getCondition<C extends ConditionLike>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(
  conditions: readonly ConditionLike[] | undefined,
  type: string,
): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

function sameCondition(a: ConditionLike, b: ConditionLike): boolean {
  return a.status === b.status && a.reason === b.reason && a.message === b.message;
}

/**
 * Returns the list with `cond` set. lastTransitionTime is kept when the status is unchanged,
 * becomes `nowIso` when it changes, and for a new condition is `cond`'s own or `nowIso`.
 * Returns the input array itself when nothing changed, so callers can skip a write with `===`.
 */
export function setCondition<C extends ConditionLike>(
  conditions: readonly C[] | undefined,
  cond: C,
  nowIso: Time,
): readonly C[] {
  const list = conditions ?? [];
  const i = list.findIndex((c) => c.type === cond.type);
  const old = i < 0 ? undefined : list[i];
  if (old === undefined)
    return [...list, { ...cond, lastTransitionTime: cond.lastTransitionTime ?? nowIso }];
  if (conditions !== undefined && sameCondition(old, cond)) {
    const otherChanged = Object.keys(cond).some(
      (k) =>
        k !== 'lastTransitionTime' &&
        (cond as Record<string, unknown>)[k] !== (old as Record<string, unknown>)[k],
    );
    if (!otherChanged) return conditions;
  }
  const lastTransitionTime =
    old.status === cond.status ? (old.lastTransitionTime ?? nowIso) : nowIso;
  const next = [...list];
  next[i] = { ...cond, lastTransitionTime };
  return next;
}
