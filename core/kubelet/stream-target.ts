/**
 * Which runtime container a log, exec or attach request reaches, with upstream's refusals
 * (pkg/kubelet/kubelet_pods.go validateContainerLogStatus for logs; findContainer for exec and
 * attach, which need it running).
 */
import * as errors from '../api/errors.ts';
import type { KubeletStreamRequest } from '../api/node-stream.ts';
import type { Status } from '../api/status-types.ts';
import type { ContainerStatus } from '../ports/runtime.ts';
import type { ContainerRecord, PodRecord } from './pod-record.ts';

export function streamTarget(
  rec: PodRecord | undefined,
  req: KubeletStreamRequest,
  previous: boolean,
  runtimeState: (id: string) => ContainerStatus | undefined,
): string | Status {
  const { container: name, pod } = req;
  if (rec === undefined || rec.key !== `${req.namespace}/${pod}` || rec.removed)
    return errors.notFound('pods', pod);
  const c = rec.containers.find((x) => x.spec.name === name);
  if (req.kind === 'exec' || req.kind === 'attach') {
    const id = c?.containerId;
    if (id === undefined || runtimeState(id)?.state !== 'running')
      return errors.badRequest(`container not found (${JSON.stringify(name)})`);
    return id;
  }
  if (c === undefined)
    return errors.badRequest(`container ${quoted(name)} in pod ${quoted(pod)} is not available`);
  return logTarget(c, name, pod, previous);
}

const quoted = (s: string): string => JSON.stringify(s);

function logTarget(
  c: ContainerRecord,
  name: string,
  pod: string,
  previous: boolean,
): string | Status {
  const where = `container ${quoted(name)} in pod ${quoted(pod)}`;
  if (previous) {
    return c.previousId ?? errors.badRequest(`previous terminated ${where} not found`);
  }
  if (c.containerId !== undefined) return c.containerId;
  if (c.previousId !== undefined) return c.previousId;
  const reason = c.waiting?.reason ?? 'ContainerCreating';
  switch (reason) {
    case 'ErrImagePull':
      return errors.badRequest(`${where} is waiting to start: image can't be pulled`);
    case 'ImagePullBackOff':
      return errors.badRequest(`${where} is waiting to start: trying and failing to pull image`);
    default:
      return errors.badRequest(`${where} is waiting to start: ${reason}`);
  }
}
