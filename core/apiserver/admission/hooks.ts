/**
 * In-process admission hooks: the simulator's stand-in for admission webhooks
 * (MutatingWebhookConfiguration / ValidatingWebhookConfiguration and the two webhook plugins in
 * k8s.io/apiserver/pkg/admission/plugin/webhook). A hook names the operations and resources it
 * wants, as a webhook's rules do, and answers like an AdmissionReview response. A hook that
 * fails (throws, or answers `{ error }`) is skipped under failurePolicy Ignore and fails the
 * request with 500 under Fail, as a webhook that cannot be called does; a refusal is 403 unless
 * the hook gives another code. Mutating hooks run in registration order after the built-in
 * mutating plugins; validating hooks run after the built-in validating ones.
 */
import * as errors from '../../api/errors.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import {
  ADMIT,
  deny,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
  type Operation,
} from './attributes.ts';

export type FailurePolicy = 'Fail' | 'Ignore';

/** admissionregistration.v1 RuleWithOperations; "*" matches everything. */
export interface HookRule {
  readonly operations: readonly (Operation | '*')[];
  readonly apiGroups: readonly string[];
  /** "pods", "pods/status", "*" or "*\/status". */
  readonly resources: readonly string[];
}

export type HookResponse =
  | { readonly allowed: true; readonly object?: KObject; readonly warnings?: readonly string[] }
  | {
      readonly allowed: false;
      readonly code?: number;
      readonly message?: string;
      readonly warnings?: readonly string[];
    }
  /** The call failed (the webhook was unreachable, timed out, answered garbage). */
  | { readonly error: string };

export interface AdmissionHook {
  readonly name: string;
  readonly type: 'mutating' | 'validating';
  readonly rules: readonly HookRule[];
  readonly failurePolicy: FailurePolicy;
  review(request: AdmissionAttributes): Promise<HookResponse>;
}

/** The hooks an API server calls; tests and scenarios add and remove them while it runs. */
export class AdmissionHooks {
  private mutating: readonly AdmissionHook[] = [];
  private validating: readonly AdmissionHook[] = [];

  install(hook: AdmissionHook): void {
    this.remove(hook.name);
    if (hook.type === 'mutating') this.mutating = [...this.mutating, hook];
    else this.validating = [...this.validating, hook];
  }

  remove(name: string): void {
    this.mutating = this.mutating.filter((h) => h.name !== name);
    this.validating = this.validating.filter((h) => h.name !== name);
  }

  of(type: AdmissionHook['type']): readonly AdmissionHook[] {
    return type === 'mutating' ? this.mutating : this.validating;
  }
}

export const MUTATING_ADMISSION_WEBHOOK = 'MutatingAdmissionWebhook';
export const VALIDATING_ADMISSION_WEBHOOK = 'ValidatingAdmissionWebhook';

/** The two webhook plugins, calling the hooks of their type. */
export function hookPlugins(hooks: AdmissionHooks): readonly AdmissionPlugin[] {
  return [
    {
      name: MUTATING_ADMISSION_WEBHOOK,
      handles: () => true,
      admit: (a) => {
        const mutating = hooks.of('mutating');
        return mutating.length === 0 ? ADMIT : callAll(mutating, a, true);
      },
    },
    {
      name: VALIDATING_ADMISSION_WEBHOOK,
      handles: () => true,
      validate: (a) => {
        const validating = hooks.of('validating');
        return validating.length === 0 ? ADMIT : callAll(validating, a, false);
      },
    },
  ];
}

async function callAll(
  hooks: readonly AdmissionHook[],
  a: AdmissionAttributes,
  mutating: boolean,
): Promise<AdmissionResult> {
  let current = a;
  const warnings: string[] = [];
  for (const hook of hooks) {
    if (!hook.rules.some((r) => ruleMatches(r, current))) continue;
    let response: HookResponse;
    try {
      response = await hook.review(current);
    } catch (e) {
      response = { error: e instanceof Error ? e.message : String(e) };
    }
    if ('error' in response) {
      if (hook.failurePolicy === 'Ignore') continue;
      return deny(
        errors.internalError(
          `failed calling webhook ${JSON.stringify(hook.name)}: ${response.error}`,
        ),
      );
    }
    warnings.push(...(response.warnings ?? []));
    if (!response.allowed) return { ...deny(denial(hook.name, response)), warnings };
    if (mutating && response.object !== undefined)
      current = { ...current, object: response.object };
  }
  if (!mutating || current.object === a.object) return { ...ADMIT, warnings };
  return current.object === undefined
    ? { ...ADMIT, warnings }
    : { allowed: true, object: current.object, warnings };
}

/** webhookerrors.ToStatusErr: the hook's code (403 below 400), its message after who denied. */
function denial(name: string, r: { code?: number; message?: string }): Status {
  const deniedBy = `admission webhook ${JSON.stringify(name)} denied the request`;
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: r.message ? `${deniedBy}: ${r.message}` : `${deniedBy} without explanation`,
    code: r.code === undefined || r.code < 400 ? 403 : r.code,
  };
}

function ruleMatches(rule: HookRule, a: AdmissionAttributes): boolean {
  const resource =
    a.subresource === '' ? a.resource.resource : `${a.resource.resource}/${a.subresource}`;
  const op = rule.operations.includes('*') || rule.operations.includes(a.operation);
  const group = rule.apiGroups.includes('*') || rule.apiGroups.includes(a.resource.group);
  const res = rule.resources.some(
    (r) =>
      r === resource ||
      (r === '*' && a.subresource === '') ||
      r === '*/*' ||
      (r.startsWith('*/') && a.subresource !== '' && r.slice(2) === a.subresource),
  );
  return op && group && res;
}
