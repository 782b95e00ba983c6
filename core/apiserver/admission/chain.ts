/**
 * The admission chain (k8s.io/apiserver/pkg/admission/chain.go): mutating plugins in order,
 * each seeing the object the previous one left; validating plugins run later, on the object as
 * it will be stored. Warnings are collected for the response.
 */
import type { Status } from '../../api/status-types.ts';
import type { Kind, KObject } from '../../api/types.ts';
import type { AdmissionAttributes, AdmissionPlugin, AdmissionResult } from './attributes.ts';

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

/**
 * Plugins may answer at once (most do, for most requests) or later. The chain answers at once
 * when every plugin did, so a request that no plugin needs to wait for costs no promise and no
 * microtask hop; from the first later answer on it continues asynchronously.
 */
export class AdmissionChain {
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
    return this.admitFrom(0, a, a, NO_WARNINGS);
  }

  validate(a: AdmissionAttributes): ValidationOutcome | Promise<ValidationOutcome> {
    return this.validateFrom(0, a, NO_WARNINGS);
  }

  /** The mutating plugins from index `start` on, `current` being what the earlier ones left. */
  private admitFrom(
    start: number,
    a: AdmissionAttributes,
    current: AdmissionAttributes,
    warnings: readonly string[],
  ): MutationOutcome | Promise<MutationOutcome> {
    const plugins = this.plugins;
    // Indexed, not for-of: each step of an iterator allocates its result.
    for (let i = start; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (p.admit === undefined || !p.handles(a.operation)) continue;
      const pending = p.admit(current);
      if (pending instanceof Promise) {
        return pending.then((r) => {
          const step = this.afterAdmit(r, current, warnings);
          return 'ok' in step ? step : this.admitFrom(i + 1, a, step.current, step.warnings);
        });
      }
      const step = this.afterAdmit(pending, current, warnings);
      if ('ok' in step) return step;
      current = step.current;
      warnings = step.warnings;
    }
    return { ok: true, object: current.object, warnings };
  }

  /** One mutating plugin's answer: the chain's outcome when it refused, else what goes on. */
  private afterAdmit(
    r: AdmissionResult,
    current: AdmissionAttributes,
    warnings: readonly string[],
  ): MutationOutcome | { current: AdmissionAttributes; warnings: readonly string[] } {
    const all = withWarnings(warnings, r.warnings);
    if (!r.allowed) return { ok: false, status: r.status, warnings: all };
    const next =
      r.object !== undefined && r.object !== current.object
        ? { ...current, object: r.object }
        : current;
    return { current: next, warnings: all };
  }

  private validateFrom(
    start: number,
    a: AdmissionAttributes,
    warnings: readonly string[],
  ): ValidationOutcome | Promise<ValidationOutcome> {
    const plugins = this.plugins;
    for (let i = start; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (p.validate === undefined || !p.handles(a.operation)) continue;
      const pending = p.validate(a);
      if (pending instanceof Promise) {
        return pending.then((r) => {
          const all = withWarnings(warnings, r.warnings);
          if (!r.allowed) return { ok: false, status: r.status, warnings: all };
          return this.validateFrom(i + 1, a, all);
        });
      }
      warnings = withWarnings(warnings, pending.warnings);
      if (!pending.allowed) return { ok: false, status: pending.status, warnings };
    }
    return { ok: true, warnings };
  }
}

/** `warnings` and then `more`, copied only when there are more. */
function withWarnings(
  warnings: readonly string[],
  more: readonly string[] | undefined,
): readonly string[] {
  return more === undefined || more.length === 0 ? warnings : [...warnings, ...more];
}
