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

  it('takes the image GC settings, and refuses a low threshold not below the high one', () => {
    const parsed = parseScenario(
      scenario(
        '{ imageGCHighThresholdPercent: 90, imageGCLowThresholdPercent: 70, imageMinimumGCAge: 5m, imageMaximumGCAge: 1h }',
      ),
      'k.yaml',
    );
    expect(clusterSpecOf(parsed.spec.cluster).nodePools[0]?.kubelet).toEqual({
      imageGCHighThresholdPercent: 90,
      imageGCLowThresholdPercent: 70,
      imageMinimumGCAgeUs: 300_000_000,
      imageMaximumGCAgeUs: 3_600_000_000,
    });
    expect(problems(scenario('{ imageGCLowThresholdPercent: 85 }')).join('\n')).toMatch(
      /imageGCLowThresholdPercent \(--image-gc-low-threshold\) 85 must be less than imageGCHighThresholdPercent \(--image-gc-high-threshold\) 85/,
    );
    expect(problems(scenario('{ imageGCHighThresholdPercent: 101 }')).join('\n')).toMatch(
      /imageGCHighThresholdPercent/,
    );
  });
});

describe("a node pool's imageSizes and inodes", () => {
  it('size the simulated images (* for any other) and set the filesystem inodes', () => {
    const parsed = parseScenario(
      `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: images }
spec:
  duration: 1m
  cluster:
    nodes:
      - count: 1
        imagePullSeconds: 1
        imageSizes: { '*': 100Mi, 'nginx:1.25': 1Gi }
        inodes: 50000
`,
      'k.yaml',
    );
    const pool = clusterSpecOf(parsed.spec.cluster).nodePools[0];
    expect(pool?.machine).toEqual({
      imagePullUs: 1_000_000,
      defaultImageSizeBytes: 100 * 1024 * 1024,
      imageSizesBytes: { 'nginx:1.25': 1024 ** 3 },
    });
    expect(pool?.kubelet).toEqual({ fsInodes: 50000 });
  });
});
