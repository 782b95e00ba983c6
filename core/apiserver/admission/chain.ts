/**
 * The admission chain (k8s.io/apiserver/pkg/admission/chain.go): mutating plugins in order,
 * each seeing the object the previous one left; validating plugins run later, on the object as
 * it will be stored. Warnings are collected for the response.
 */
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './attributes.ts';

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

/** Plugins may answer at once (most do) or later; only a later answer costs a wait. */
export class AdmissionChain {
  /** `plugins`: in upstream's plugin order. */
  constructor(private readonly plugins: readonly AdmissionPlugin[]) {}

  get pluginNames(): readonly string[] {
    return this.plugins.map((p) => p.name);
  }

  async admit(a: AdmissionAttributes): Promise<MutationOutcome> {
    const warnings: string[] = [];
    let current = a;
    const plugins = this.plugins;
    // Indexed, not for-of: in an async function each step of an iterator allocates its result.
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (p.admit === undefined || !p.handles(a.operation)) continue;
      const pending = p.admit(current);
      const r = pending instanceof Promise ? await pending : pending;
      if (r.warnings !== undefined && r.warnings.length > 0) warnings.push(...r.warnings);
      if (!r.allowed) return { ok: false, status: r.status, warnings };
      if (r.object !== undefined && r.object !== current.object) {
        current = { ...current, object: r.object };
      }
    }
    return { ok: true, object: current.object, warnings };
  }

  async validate(a: AdmissionAttributes): Promise<ValidationOutcome> {
    const warnings: string[] = [];
    const plugins = this.plugins;
    for (let i = 0; i < plugins.length; i++) {
      const p = plugins[i]!;
      if (p.validate === undefined || !p.handles(a.operation)) continue;
      const pending = p.validate(a);
      const r = pending instanceof Promise ? await pending : pending;
      if (r.warnings !== undefined && r.warnings.length > 0) warnings.push(...r.warnings);
      if (!r.allowed) return { ok: false, status: r.status, warnings };
    }
    return { ok: true, warnings };
  }
}
