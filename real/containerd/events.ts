/**
 * containerd's event stream as `ctr events` prints it: one line per event,
 * `<date> <time> <zone> <zone name> <namespace> <topic> <JSON of the event>`. The runtime needs
 * the task events (start, exit, OOM); the rest is parsed as `other`.
 */
export type ContainerdEvent =
  | { readonly kind: 'task-start'; readonly containerId: string; readonly pid: number }
  | {
      readonly kind: 'task-exit';
      readonly containerId: string;
      /** The exited process: the container id for its init process, else an exec id. */
      readonly processId: string;
      readonly exitStatus: number;
      /** Unix microseconds. */
      readonly exitedAtUs: number;
    }
  | { readonly kind: 'task-oom'; readonly containerId: string }
  | { readonly kind: 'other'; readonly topic: string };

/** The event of one line, or undefined for a line that is not an event of `namespace`. */
export function parseEventLine(line: string, namespace: string): ContainerdEvent | undefined {
  const fields = line.split(' ');
  if (fields.length < 7 || fields[4] !== namespace) return undefined;
  const topic = fields[5] ?? '';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(fields.slice(6).join(' ')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const containerId = typeof body['container_id'] === 'string' ? body['container_id'] : '';
  switch (topic) {
    case '/tasks/start':
      return { kind: 'task-start', containerId, pid: numberField(body['pid']) };
    case '/tasks/exit':
      return {
        kind: 'task-exit',
        containerId,
        processId: typeof body['id'] === 'string' ? body['id'] : containerId,
        // proto3 JSON leaves a zero out.
        exitStatus: numberField(body['exit_status']),
        exitedAtUs: timestampUs(body['exited_at']),
      };
    case '/tasks/oom':
      return { kind: 'task-oom', containerId };
    default:
      return { kind: 'other', topic };
  }
}

function numberField(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

/** RFC 3339 with nanoseconds (Go's time.Time JSON) to Unix microseconds. */
export function timestampUs(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (m === null) return 0;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return 0;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return seconds * 1000 + Number(fraction);
}
