/**
 * PodTemplates (pkg/apis/core/validation/validation.go ValidatePodTemplate /
 * ValidatePodTemplateSpec; pkg/registry/core/podtemplate/strategy.go; printers:
 * printPodTemplate). The template is ksim's PodTemplateSpec, so the pod spec validation and
 * defaulting are the Pod's own.
 */
import type { PodTemplate as UpstreamPodTemplate } from 'kubernetes-types/core/v1.d.ts';
import { defaultPodSpec } from '../defaults.ts';
import { child, fieldForbidden, fieldRequired, type FieldError } from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { PodTemplateSpec } from '../pod-types.ts';
import { validatePodSpec } from '../pod-validation.ts';
import type { Stored } from '../stored.ts';
import { defineResource, NAME_COLUMN, OBJECT_META_PATCH, objectMetaPatch } from './common.ts';
import type { PatchField, TableColumn } from './definition.ts';
import { podSpecPatch } from './pod.ts';
import { formatLabels } from './service.ts';

export type PodTemplate = Stored<UpstreamPodTemplate, { readonly template?: PodTemplateSpec }>;

/**
 * ValidatePodTemplateSpec. Upstream's paths for the template's labels and annotations skip
 * "metadata" (`template.labels`), as its ObjectMeta is embedded in Go.
 */
export function validatePodTemplateSpec(
  template: PodTemplateSpec | undefined,
  path: string,
): FieldError[] {
  if (template === undefined || template === null) return [fieldRequired(path, '')];
  const errs = [
    ...validateLabels(template.metadata?.labels, child(path, 'labels')),
    ...validateAnnotations(template.metadata?.annotations, child(path, 'annotations')),
    ...validatePodSpec(template.spec, child(path, 'spec')),
  ];
  // ksim's PodSpec has no ephemeral containers; a manifest may still carry them.
  const spec = template.spec as { readonly ephemeralContainers?: readonly unknown[] } | undefined;
  if ((spec?.ephemeralContainers?.length ?? 0) > 0) {
    errs.push(
      fieldForbidden(
        child(child(path, 'spec'), 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

/** SetDefaults of the embedded pod spec, as decoding a template applies them. */
export function defaultTemplate(
  template: PodTemplateSpec | undefined,
): PodTemplateSpec | undefined {
  if (template === undefined || template === null || template.spec === undefined) return template;
  return { ...template, spec: defaultPodSpec(template.spec) };
}

export function validatePodTemplate(pt: PodTemplate): FieldError[] {
  return [
    ...validateObjectMeta(pt.metadata, true, nameIsDNSSubdomain),
    ...validatePodTemplateSpec(pt.template, 'template'),
  ];
}

export function validatePodTemplateUpdate(next: PodTemplate, old: PodTemplate): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validatePodTemplateSpec(next.template, 'template'),
  ];
}

const containersOf = (t: PodTemplateSpec | undefined) => t?.spec?.containers ?? [];

/** The Containers and Images columns every printer of a pod template shows. */
export function templateColumns<T>(
  templateOf: (obj: T) => PodTemplateSpec | undefined,
  priority: 0 | 1,
): TableColumn<T>[] {
  return [
    {
      name: 'Containers',
      type: 'string',
      priority,
      description: 'Names of each container in the template.',
      cell: (obj) =>
        containersOf(templateOf(obj))
          .map((c) => c.name)
          .join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority,
      description: 'Images referenced by each container in the template.',
      cell: (obj) =>
        containersOf(templateOf(obj))
          .map((c) => c.image ?? '')
          .join(','),
    },
  ];
}

/** Strategic-merge tags of an embedded template at `path`. */
export function templatePatch(path: string): readonly PatchField[] {
  return [...objectMetaPatch(`${path}.metadata`), ...podSpecPatch(`${path}.spec`)];
}

export const POD_TEMPLATE = defineResource<PodTemplate>({
  discovery: { kind: 'PodTemplate', group: '', resource: 'podtemplates', namespaced: true },
  defaults: (pt) =>
    pt.template === undefined ? pt : { ...pt, template: defaultTemplate(pt.template) },
  validate: validatePodTemplate,
  update: { prepareForUpdate: (next) => next, validateUpdate: validatePodTemplateUpdate },
  table: [
    NAME_COLUMN,
    ...templateColumns<PodTemplate>((pt) => pt.template, 0),
    {
      name: 'Pod Labels',
      type: 'string',
      priority: 0,
      description: 'The labels for the pod template.',
      cell: (pt) => formatLabels(pt.template?.metadata?.labels),
    },
  ],
  patch: [...OBJECT_META_PATCH, ...templatePatch('template')],
});
