/** A Service and pods the tests play the kubelet for: what the endpoint controllers read. */
import type { Service } from '../../../core/api/kinds/service-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { formatTime } from '../../../core/api/time.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { mustCreate, retry } from './harness.ts';

export function service(
  name: string,
  app: string,
  spec: Partial<NonNullable<Service['spec']>> = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { team: 'a' } },
    spec: {
      selector: { app },
      ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }],
      ...spec,
    },
  };
}

/** A pod on a node no kubelet runs: the test plays the kubelet and sets its status. */
export async function runningPod(
  ports: ProcessPorts,
  api: ApiClient,
  name: string,
  app: string,
  ip: string,
  ready: boolean,
): Promise<void> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: {
      nodeName: 'node-x',
      containers: [
        { name: 'c', image: 'nginx:1.25', ports: [{ name: 'http', containerPort: 8080 }] },
      ],
    },
  };
  const created = await mustCreate(ports, api, pod);
  const iso = formatTime(ports.clock.now());
  const r = await retry(ports, () =>
    api.updateStatus<Pod>({
      ...created,
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: iso }],
      },
    }),
  );
  if (!r.ok) throw new Error(`status of ${name}: ${r.error.message}`);
}
