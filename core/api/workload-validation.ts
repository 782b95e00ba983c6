/**
 * What the workload kinds (Deployment, StatefulSet, DaemonSet, Job, CronJob) check alike:
 * their pod template (pkg/apis/core/validation: ValidatePodTemplateSpec), their selector and its
 * agreement with the template's labels (pkg/apis/apps/validation, pkg/apis/batch/validation),
 * and the non-negative counters (ValidateNonnegativeField).
 */
import { IS_NEGATIVE_ERROR } from './content-checks.ts';
import { defaultPodSpec } from './defaults.ts';
import {
  asGoMap,
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  key,
  type FieldError,
} from './field-error.ts';
import type { LabelSelector } from './meta-types.ts';
import { validateAnnotations, validateLabels, validateLabelSelector } from './meta-validation.ts';
import type { PodTemplateSpec } from './pod-types.ts';
import { validatePodSpec } from './pod-validation.ts';
import { isSelectorError, labelSelectorAsMatcher } from './selectors.ts';

/** ValidateNonnegativeField for an optional count. */
export function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [fieldInvalid(path, value, IS_NEGATIVE_ERROR)] : [];
}

/** ValidatePodTemplateSpec: the template's labels, annotations and pod spec. */
export function validatePodTemplateSpec(
  tpl: PodTemplateSpec | undefined,
  path: string,
): FieldError[] {
  if (tpl === undefined) return [fieldRequired(path, '')];
  const errs = [
    ...validateLabels(tpl.metadata?.labels, child(path, 'labels')),
    ...validateAnnotations(tpl.metadata?.annotations, child(path, 'annotations')),
    ...validatePodSpec(tpl.spec, child(path, 'spec')),
  ];
  const ephemeral = (tpl.spec as { ephemeralContainers?: readonly unknown[] } | undefined)
    ?.ephemeralContainers;
  if (ephemeral !== undefined && ephemeral.length > 0) {
    errs.push(
      fieldForbidden(
        child(child(path, 'spec'), 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

/**
 * A workload's selector: required, valid, not empty (`empty selector is invalid for <what>`).
 * Returns the errors and whether the selector can be compared with the template's labels.
 */
export function validateWorkloadSelector(
  sel: LabelSelector | undefined | null,
  path: string,
  what: string,
): FieldError[] {
  if (sel === undefined || sel === null) return [fieldRequired(path, '')];
  const errs = validateLabelSelector(sel, path);
  if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
    errs.push(fieldInvalid(path, sel, `empty selector is invalid for ${what}`));
  }
  return errs;
}

/**
 * The selector must select the pods the template makes: `selector` does not match template
 * `labels` at `<template>.metadata.labels`. An absent selector selects nothing, so it fails this
 * too, as upstream reports it. An unparsable selector reports `invalidMessage` at the selector
 * instead (upstream's message differs between kinds; undefined: no error).
 */
export function validateSelectorMatchesTemplate(
  sel: LabelSelector | undefined | null,
  tpl: PodTemplateSpec | undefined,
  selectorPath: string,
  templatePath: string,
  invalidMessage: string | undefined,
): FieldError[] {
  const matcher = labelSelectorAsMatcher(sel);
  if (isSelectorError(matcher)) {
    return invalidMessage === undefined ? [] : [fieldInvalid(selectorPath, sel, invalidMessage)];
  }
  const labels = tpl?.metadata?.labels ?? {};
  if (matcher.empty || matcher.matches(labels)) return [];
  return [
    fieldInvalid(
      child(child(templatePath, 'metadata'), 'labels'),
      asGoMap({ ...labels }),
      '`selector` does not match template `labels`',
    ),
  ];
}

/** ValidateHasLabel: a label the template must carry with exactly this value. */
export function validateHasLabel(
  labels: Readonly<Record<string, string>> | undefined,
  metadataPath: string,
  label: string,
  expected: string,
): FieldError[] {
  const path = key(child(metadataPath, 'labels'), label);
  const actual = labels?.[label];
  if (actual === undefined) return [fieldRequired(path, `must be '${expected}'`)];
  return actual === expected
    ? []
    : [fieldInvalid(path, asGoMap({ ...labels }), `must be '${expected}'`)];
}

/** The restart policy a workload's pods must have (Always for the apps kinds). */
export function validateTemplateRestartAlways(
  tpl: PodTemplateSpec | undefined,
  templatePath: string,
  kindName: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const specPath = child(templatePath, 'spec');
  const rp = tpl?.spec?.restartPolicy;
  if (rp !== 'Always') {
    errs.push(fieldNotSupported(child(specPath, 'restartPolicy'), rp ?? '', ['Always']));
  }
  if (tpl?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      fieldForbidden(
        child(specPath, 'activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${kindName} is not Supported`,
      ),
    );
  }
  return errs;
}

/** Decoding defaults of a template's pod spec (SetDefaults_PodSpec and its containers). */
export function defaultPodTemplate(tpl: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  return tpl === undefined || tpl.spec === undefined
    ? tpl
    : { ...tpl, spec: defaultPodSpec(tpl.spec) };
}
