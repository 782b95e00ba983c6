/**
 * The -o wide columns every workload printer shares (layoutContainerCells and the selector in
 * pkg/printers/internalversion/printers.go).
 */
import type { LabelSelector } from '../meta-types.ts';
import type { PodTemplateSpec } from '../pod-types.ts';
import { formatLabelSelector } from '../selectors.ts';
import type { TableColumn } from './definition.ts';

/** Containers and Images of a template: names and images joined with commas. */
export function containerColumns<T>(
  template: (obj: T) => PodTemplateSpec | undefined,
): readonly TableColumn<T>[] {
  const containers = (obj: T) => template(obj)?.spec?.containers ?? [];
  return [
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      description: 'Names of each container in the template.',
      cell: (obj) =>
        containers(obj)
          .map((c) => c.name)
          .join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      description: 'Images referenced by each container in the template.',
      cell: (obj) =>
        containers(obj)
          .map((c) => c.image ?? '')
          .join(','),
    },
  ];
}

/** The Selector column, printed with metav1.FormatLabelSelector ("<none>" when empty). */
export function selectorColumn<T>(
  description: string,
  selector: (obj: T) => LabelSelector | undefined,
): TableColumn<T> {
  return {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description,
    cell: (obj) => formatLabelSelector(selector(obj)),
  };
}

/** labels.FormatLabels: `k=v` pairs sorted by key, "<none>" for no labels. */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const pairs = Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${labels?.[k] ?? ''}`);
  return pairs.length === 0 ? '<none>' : pairs.join(',');
}
