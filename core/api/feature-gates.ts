/**
 * Feature gates (k8s.io/component-base/featuregate): named switches for behaviour that is not
 * on by default, set per component with --feature-gates as upstream. Only gates ksim models are
 * known; naming any other is refused with upstream's message, so a scenario never believes it
 * turned on something that ksim ignores.
 */
import { assert } from '../util/assert.ts';

export type FeatureStage = 'ALPHA' | 'BETA' | 'GA';

interface FeatureSpec {
  readonly stage: FeatureStage;
  /** The default in Kubernetes 1.32. */
  readonly default: boolean;
  /** What turning it on changes in ksim, for `ksim schema` and README. */
  readonly description: string;
}

export const KNOWN_FEATURE_GATES = {
  MaxUnavailableStatefulSet: {
    stage: 'ALPHA',
    default: false,
    description:
      'StatefulSet spec.updateStrategy.rollingUpdate.maxUnavailable is kept by the API server and honoured by the controller (several pods updated at once)',
  },
} as const satisfies Record<string, FeatureSpec>;

export type FeatureGateName = keyof typeof KNOWN_FEATURE_GATES;

export interface FeatureGates {
  enabled(name: FeatureGateName): boolean;
}

/** Every gate at its 1.32 default. */
export const DEFAULT_FEATURE_GATES: FeatureGates = {
  enabled: (name) => KNOWN_FEATURE_GATES[name].default,
};

export function isFeatureGateName(name: string): name is FeatureGateName {
  return Object.hasOwn(KNOWN_FEATURE_GATES, name);
}

/** What is wrong with a --feature-gates setting, as upstream's featuregate.Set says it. */
export function featureGateProblems(settings: Readonly<Record<string, boolean>>): string[] {
  return Object.keys(settings)
    .filter((name) => !isFeatureGateName(name))
    .map((name) => `unrecognized feature gate: ${name}`);
}

/** The gates of a component started with `settings` (checked with featureGateProblems first). */
export function featureGates(settings: Readonly<Record<string, boolean>> = {}): FeatureGates {
  const problems = featureGateProblems(settings);
  assert(problems.length === 0, problems.join('; '));
  const set = new Map<FeatureGateName, boolean>();
  for (const [name, on] of Object.entries(settings)) {
    if (isFeatureGateName(name)) set.set(name, on);
  }
  if (set.size === 0) return DEFAULT_FEATURE_GATES;
  return { enabled: (name) => set.get(name) ?? KNOWN_FEATURE_GATES[name].default };
}
