/** labelSelector and fieldSelector query parameters, checked against the kind's field labels. */
import * as errors from '../../api/errors.ts';
import {
  isFieldSelectorError,
  parseFieldSelector,
  unsupportedFieldLabel,
  type FieldMatcher,
} from '../../api/field-selectors.ts';
import type { ResourceDefinition } from '../../api/kinds/index.ts';
import { isSelectorError, parseSelector, type LabelMatcher } from '../../api/selectors.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';

export interface Selectors {
  readonly labels: LabelMatcher | undefined;
  readonly fields: FieldMatcher | undefined;
}

export const EVERYTHING: Selectors = { labels: undefined, fields: undefined };

/** A bad selector, or a field label the kind does not support, is a 400 naming it. */
export function parseSelectors(
  definition: ResourceDefinition,
  query: Readonly<Record<string, string>>,
): Selectors | Status {
  let labels: LabelMatcher | undefined;
  let fields: FieldMatcher | undefined;
  if (query.labelSelector) {
    const m = parseSelector(query.labelSelector);
    if (isSelectorError(m)) return errors.badRequest(`unable to parse requirement: ${m.message}`);
    labels = m;
  }
  if (query.fieldSelector) {
    const m = parseFieldSelector(query.fieldSelector);
    if (isFieldSelectorError(m)) return errors.badRequest(m.message);
    const bad = unsupportedFieldLabel(definition.fieldSelectors, m);
    if (bad !== undefined) return errors.badRequest(`field label not supported: ${bad}`);
    fields = m;
  }
  return { labels, fields };
}

export function matches(definition: ResourceDefinition, obj: KObject, sel: Selectors): boolean {
  if (sel.labels !== undefined && !sel.labels.matches(obj.metadata?.labels)) return false;
  if (sel.fields !== undefined && !sel.fields.matches(definition.fields(obj))) return false;
  return true;
}
