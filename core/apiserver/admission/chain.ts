/**
 * The admission chain (k8s.io/apiserver/pkg/admission/chain.go): mutating plugins in order,
 * each seeing the object the previous one left; validating plugins run later, on the object as
 * it will be stored. Warnings are collected for the response.
 */
import type { Status } from '../../api/status-types.ts';
import type { Kind, KObject } from '../../api/types.ts';
import {
  ADMIT,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type GroupVersionResource,
  type Operation,
} from './attributes.ts';

export type MutationOutcome =
  | {
      readonly ok: true;
      readonly object: KObject | undefined;
      readonly warnings: readonly string[];
    }
  | { readonly ok: false; readonly status: Status; readonly warnings: readonly string[] };

export type ValidationOutcome =
  | { readonly ok: true; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly status: Status; readonly warnings: readonly string[] };

/** Shared by the outcomes of requests no plugin warned about (frozen: nobody adds to it). */
const NO_WARNINGS: readonly string[] = Object.freeze([]);

/** The plugins that take part in one operation on one resource, in chain order. */
interface Applicable {
  readonly mutating: readonly AdmissionPlugin[];
  readonly validating: readonly AdmissionPlugin[];
}

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/**
 * Plugins may answer at once (most do, for most requests) or later. The chain answers at once
 * when every plugin did, so a request that no plugin needs to wait for costs no promise and no
 * microtask hop; from the first later answer on it continues asynchronously.
 *
 * A request meets only the plugins that handle its operation on its resource: the chain sorts
 * them out once per resource (the API server's attributes share one resource object per
 * resource), not once per request and plugin.
 */
export class AdmissionChain {
  private readonly byResource = new WeakMap<
    GroupVersionResource,
    ReadonlyMap<Operation, Applicable>
  >();
  /** Plugin calls made, for tests that count the work a request costs. */
  calls = 0;

  /** `plugins`: in upstream's plugin order. */
  constructor(private readonly plugins: readonly AdmissionPlugin[]) {}

  get pluginNames(): readonly string[] {
    return this.plugins.map((p) => p.name);
  }

  /** The kinds the plugins read through informers, each once, in plugin order. */
  get informedKinds(): readonly Kind[] {
    return [...new Set(this.plugins.flatMap((p) => p.informed ?? []))];
  }

  admit(a: AdmissionAttributes): MutationOutcome | Promise<MutationOutcome> {
    return this.admitFrom(this.applicable(a).mutating, 0, a, NO_WARNINGS);
  }

  validate(a: AdmissionAttributes): ValidationOutcome | Promise<ValidationOutcome> {
    return this.validateFrom(this.applicable(a).validating, 0, a, NO_WARNINGS);
  }

  private applicable(a: AdmissionAttributes): Applicable {
    let byOperation = this.byResource.get(a.resource);
    if (byOperation === undefined) {
      byOperation = applicableTo(this.plugins, a.resource);
      this.byResource.set(a.resource, byOperation);
    }
    return byOperation.get(a.operation) as Applicable;
  }

  /**
   * The mutating `plugins` from index `start` on, `current` being what the earlier ones left.
   * A step allocates nothing unless a plugin changed the object or warned.
   */
  private admitFrom(
    plugins: readonly AdmissionPlugin[],
    start: number,
    current: AdmissionAttributes,
    warnings: readonly string[],
  ): MutationOutcome | Promise<MutationOutcome> {
    // Indexed, not for-of: each step of an iterator allocates its result.
    for (let i = start; i < plugins.length; i++) {
      this.calls++;
      const r = (plugins[i] as AdmissionPlugin).admit?.(current) ?? ADMIT;
      if (r instanceof Promise) {
        return r.then((answer) => {
          const all = withWarnings(warnings, answer.warnings);
          if (!answer.allowed) return { ok: false, status: answer.status, warnings: all };
          return this.admitFrom(plugins, i + 1, withObject(current, answer.object), all);
        });
      }
      warnings = withWarnings(warnings, r.warnings);
      if (!r.allowed) return { ok: false, status: r.status, warnings };
      current = withObject(current, r.object);
    }
    return { ok: true, object: current.object, warnings };
  }

  private validateFrom(
    plugins: readonly AdmissionPlugin[],
    start: number,
    a: AdmissionAttributes,
    warnings: readonly string[],
  ): ValidationOutcome | Promise<ValidationOutcome> {
    for (let i = start; i < plugins.length; i++) {
      this.calls++;
      const pending = (plugins[i] as AdmissionPlugin).validate?.(a) ?? ADMIT;
      if (pending instanceof Promise) {
        return pending.then((r) => {
          const all = withWarnings(warnings, r.warnings);
          if (!r.allowed) return { ok: false, status: r.status, warnings: all };
          return this.validateFrom(plugins, i + 1, a, all);
        });
      }
      warnings = withWarnings(warnings, pending.warnings);
      if (!pending.allowed) return { ok: false, status: pending.status, warnings };
    }
    return { ok: true, warnings };
  }
}

/** Per operation, the plugins of the chain that handle it on `resource`. */
function applicableTo(
  plugins: readonly AdmissionPlugin[],
  resource: GroupVersionResource,
): ReadonlyMap<Operation, Applicable> {
  const serves = plugins.filter(
    (p) =>
      p.resources === undefined ||
      p.resources.some((r) => r.group === resource.group && r.resource === resource.resource),
  );
  const byOperation = new Map<Operation, Applicable>();
  for (const op of OPERATIONS) {
    const handling = serves.filter((p) => p.handles(op));
    byOperation.set(op, {
      mutating: handling.filter((p) => p.admit !== undefined),
      validating: handling.filter((p) => p.validate !== undefined),
    });
  }
  return byOperation;
}

/** The attributes with the object a mutating plugin left (itself when it left it unchanged). */
function withObject(a: AdmissionAttributes, object: KObject | undefined): AdmissionAttributes {
  return object === undefined || object === a.object ? a : { ...a, object };
}

/** `warnings` and then `more`, copied only when there are more. */
function withWarnings(
  warnings: readonly string[],
  more: readonly string[] | undefined,
): readonly string[] {
  return more === undefined || more.length === 0 ? warnings : [...warnings, ...more];
}
