import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { micros, podKey } from '../fields.ts';

const containerName = () => z.string().describe('The container name in the pod spec.');
const containerId = () => z.string().describe('The runtime container id.');

export const RUNTIME_RECORDS = traceGroup(
  'Container runtime',
  'The simulated container runtime of a node (sim/runtime.ts): what it does at debug level, and the faults it injects. Emitted by the node process that owns it.',
  [
    traceRecord('runtime.sandbox-run', {
      level: 'debug',
      doc: "The runtime created a pod's sandbox.",
      fields: z.strictObject({
        sandbox: z.string().describe('The runtime sandbox id.'),
        pod: podKey(),
      }),
    }),
    traceRecord('runtime.image-pulled', {
      level: 'debug',
      doc: 'The runtime finished pulling an image.',
      fields: z.strictObject({
        image: z.string().describe('The image reference.'),
        latencyUs: micros('How long the pull took, in microseconds.'),
      }),
    }),
    traceRecord('runtime.container-exit', {
      level: 'debug',
      doc: 'A container exited in the runtime (the kubelet notices later: `kubelet.container-exit`).',
      fields: z.strictObject({
        id: containerId(),
        exitCode: z.int().describe('The exit code.'),
      }),
    }),
    traceRecord('runtime.fault', {
      level: 'info',
      doc: 'The runtime injected a fault (probabilities from the runtime options).',
      fields: z.discriminatedUnion('fault', [
        z.strictObject({
          fault: z
            .literal('container-start')
            .describe('A container start failed: it exits with code 128, reason StartError.'),
          container: containerName(),
          id: containerId(),
        }),
        z.strictObject({
          fault: z.literal('image-pull').describe('An image pull failed with ErrImagePull.'),
          image: z.string().describe('The image reference.'),
        }),
        z.strictObject({
          fault: z.literal('crash').describe('A running container crashed with exit code 1.'),
          container: containerName(),
          id: containerId(),
        }),
      ]),
    }),
  ],
);
