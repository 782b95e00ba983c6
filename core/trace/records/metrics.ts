import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count } from '../fields.ts';

export const METRICS_RECORDS = traceGroup(
  'Resource metrics',
  'metrics-server (core/metrics-server): it scrapes the kubelets and serves metrics.k8s.io. Emitted by `metrics-server`.',
  [
    traceRecord('metrics-server.scrape', {
      level: 'debug',
      doc: "A scrape round ended: the nodes' answers replace what it served before.",
      fields: z.strictObject({
        nodes: count('Nodes it asked.'),
        answered: count('Nodes that answered (the others drop out of NodeMetrics).'),
        pods: count('Pods the answers sampled.'),
      }),
    }),
  ],
);
