/**
 * Events of core/v1 (pkg/registry/core/event/strategy.go; printers: printEvent).
 */
import type { Event } from '../cluster-types.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import { validateEvent } from '../validation.ts';
import { defineResource, NAME_COLUMN, timeSince } from './common.ts';
import type { TableColumn } from './definition.ts';

/** First seen: firstTimestamp, or eventTime for events of the events.k8s.io API. */
function firstSeen(ev: Event, nowUs: number): string {
  return timeSince(ev.firstTimestamp || ev.eventTime, nowUs);
}

function lastSeen(ev: Event, nowUs: number): string {
  return ev.lastTimestamp ? timeSince(ev.lastTimestamp, nowUs) : firstSeen(ev, nowUs);
}

/** "pod/web-1", or the kind alone for an object without a name. */
function target(ev: Event): string {
  const kind = (ev.involvedObject.kind ?? '').toLowerCase();
  return ev.involvedObject.name ? `${kind}/${ev.involvedObject.name}` : kind;
}

/** formatEventSource: component (or reporting controller), then host (or reporting instance). */
function source(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

const TABLE: readonly TableColumn<Event>[] = [
  {
    name: 'Last Seen',
    type: 'string',
    priority: 0,
    description: 'The time at which the most recent occurrence of this event was recorded.',
    cell: lastSeen,
  },
  {
    name: 'Type',
    type: 'string',
    priority: 0,
    description: 'Type of this event (Normal, Warning), new types could be added in the future',
    cell: (ev) => ev.type ?? '',
  },
  {
    name: 'Reason',
    type: 'string',
    priority: 0,
    description:
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    cell: (ev) => ev.reason ?? '',
  },
  {
    name: 'Object',
    type: 'string',
    priority: 0,
    description: 'The object that this event is about.',
    cell: target,
  },
  {
    name: 'Subobject',
    type: 'string',
    priority: 1,
    description:
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].',
    cell: (ev) => ev.involvedObject.fieldPath ?? '',
  },
  {
    name: 'Source',
    type: 'string',
    priority: 1,
    description:
      'The component reporting this event. Should be a short machine understandable string.',
    cell: source,
  },
  {
    name: 'Message',
    type: 'string',
    priority: 0,
    description: 'A human-readable description of the status of this operation.',
    cell: (ev) => (ev.message ?? '').trim(),
  },
  {
    name: 'First Seen',
    type: 'string',
    priority: 1,
    description:
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
    cell: firstSeen,
  },
  {
    name: 'Count',
    type: 'string',
    priority: 1,
    description: 'The number of times this event has occurred.',
    // Singleton events of the newer API leave count unset.
    cell: (ev) => (ev.count ? ev.count : 1),
  },
  { ...NAME_COLUMN, priority: 1 },
];

export const EVENT = defineResource<Event>({
  discovery: { kind: 'Event', group: '', resource: 'events', namespaced: true, shortNames: ['ev'] },
  validate: validateEvent,
  expiresAfterEventTtl: true,
  table: TABLE,
  fieldSelectors: [
    ...OBJECT_META_FIELD_LABELS,
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  fields: (ev) => {
    const io = ev.involvedObject;
    return {
      ...objectMetaFields(ev.metadata),
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: ev.reason ?? '',
      reportingComponent: ev.reportingComponent ?? '',
      source: ev.source?.component ?? '',
      type: ev.type ?? '',
    };
  },
});
