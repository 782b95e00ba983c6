/** Objects the workload kinds' tests start from: valid, defaulted as the API server would. */
import { formatFieldError, type FieldError } from '../../../../core/api/field-error.ts';
import type { PodTemplateSpec } from '../../../../core/api/pod-types.ts';

export const template = (
  labels: Record<string, string>,
  restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always',
): PodTemplateSpec =>
  ({
    metadata: { labels },
    spec: {
      restartPolicy,
      dnsPolicy: 'ClusterFirst',
      containers: [
        {
          name: 'c',
          image: 'nginx:1.25',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePolicy: 'File',
        },
      ],
    },
  }) as unknown as PodTemplateSpec;

export const messages = (errs: readonly FieldError[]): string[] => errs.map(formatFieldError);

/** `obj` with `path` (dotted) set to `value`, or removed when `value` is undefined. */
export function withField<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const o = { ...(obj as Record<string, unknown>) };
  if (rest.length === 0) {
    if (value === undefined) delete o[head as string];
    else o[head as string] = value;
  } else {
    o[head as string] = withField(o[head as string] ?? {}, rest.join('.'), value);
  }
  return o as T;
}
