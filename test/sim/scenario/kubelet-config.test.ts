import { describe, expect, it } from 'vitest';
import { clusterSpecOf } from '../../../sim/scenario/cluster-spec.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const scenario = (kubeletConfig: string): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: kubelet-config }
spec:
  duration: 1m
  cluster:
    nodes:
      - count: 1
        kubeletConfig: ${kubeletConfig}
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'k.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe("a node pool's kubeletConfig", () => {
  it('becomes the kubelet options of its nodes, durations in microseconds', () => {
    const parsed = parseScenario(
      scenario(
        '{ evictionHard: { memory.available: 200Mi }, evictionSoft: { nodefs.available: 30% }, evictionSoftGracePeriod: { nodefs.available: 90s }, evictionMaxPodGracePeriod: 15, evictionPressureTransitionPeriod: 1m, pidMax: 32768 }',
      ),
      'k.yaml',
    );
    expect(clusterSpecOf(parsed.spec.cluster).nodePools[0]?.kubelet).toEqual({
      evictionHard: { 'memory.available': '200Mi' },
      evictionSoft: { 'nodefs.available': '30%' },
      evictionSoftGracePeriodUs: { 'nodefs.available': 90_000_000 },
      evictionMaxPodGracePeriodSeconds: 15,
      evictionPressureTransitionPeriodUs: 60_000_000,
      pidMax: 32768,
    });
  });

  it('refuses a soft threshold without a grace period, an unknown signal and a bad value', () => {
    const text = problems(
      scenario(
        '{ evictionSoft: { memory.available: 1Gi }, evictionHard: { disk.free: 1Gi, nodefs.available: lots } }',
      ),
    ).join('\n');
    expect(text).toMatch(
      /kubeletConfig\.evictionSoftGracePeriod: grace period must be specified for the soft eviction threshold memory\.available/,
    );
    expect(text).toMatch(/kubeletConfig\.evictionHard\.disk\.free|disk\.free/);
    expect(text).toMatch(
      /expected a quantity such as 100Mi or a percentage such as 10%, got "lots"/,
    );
  });
});
