/**
 * events.k8s.io/v1 Events: a second representation of the core Events in their one storage, as
 * upstream serves them (pkg/registry/core/event for both; pkg/apis/events/v1/conversion.go for
 * the field mapping; pkg/apis/core/validation/events.go for the stricter rules a request of this
 * version gets; the field label conversions of pkg/apis/events/v1). Everything here works on
 * the stored core shape, as upstream's strategy works on the internal type, so field paths in
 * errors are the internal names (`message`, `involvedObject`), as upstream reports them.
 */
import type { Event as UpstreamEventsV1Event } from 'kubernetes-types/events/v1.d.ts';
import type { Event } from '../cluster-types.ts';
import { isDNS1123Subdomain, isQualifiedName } from '../content-checks.ts';
import { fieldInvalid, fieldRequired, type FieldError } from '../field-error.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import type { MicroTime, ObjectReference } from '../meta-types.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { defineResource } from './common.ts';
import type { StoredAs, VersionedObject } from './definition.ts';
import { EVENT } from './event.ts';

export type EventsV1Event = Stored<UpstreamEventsV1Event>;

interface EventSeries {
  readonly count: number;
  readonly lastObservedTime: MicroTime;
}

/** The stored core Event with the fields core/v1 has and ksim's Event type does not list. */
type StoredEvent = Event & {
  readonly series?: EventSeries;
  readonly related?: ObjectReference;
};

const REPORTING_INSTANCE_LENGTH_LIMIT = 128;
const ACTION_LENGTH_LIMIT = 128;
const REASON_LENGTH_LIMIT = 128;
const NOTE_LENGTH_LIMIT = 1024;

/** Members whose value is undefined are left out, as Go's omitempty leaves them. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Convert_v1_Event_To_core_Event. */
export function eventToStored(obj: VersionedObject): StoredEvent {
  const e = obj as unknown as EventsV1Event;
  return compact({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: e.regarding ?? {},
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    type: e.type as Event['type'],
    // eventTime is required in this version; a null one is the zero time, stored as absent.
    eventTime: e.eventTime ?? undefined,
    series: e.series,
    action: e.action,
    related: e.related,
    reportingComponent: e.reportingController,
    reportingInstance: e.reportingInstance,
  }) as StoredEvent;
}

/** Convert_core_Event_To_v1_Event. */
export function eventFromStored(ev: StoredEvent): EventsV1Event {
  return compact({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: ev.metadata,
    // Not omitempty: a zero eventTime is null on the wire.
    eventTime: (ev.eventTime ?? null) as MicroTime,
    series: ev.series,
    reportingController: ev.reportingComponent,
    reportingInstance: ev.reportingInstance,
    action: ev.action,
    reason: ev.reason,
    regarding: ev.involvedObject,
    related: ev.related,
    note: ev.message,
    type: ev.type,
    deprecatedSource: ev.source,
    deprecatedFirstTimestamp: ev.firstTimestamp,
    deprecatedLastTimestamp: ev.lastTimestamp,
    deprecatedCount: ev.count,
  });
}

const STORED_AS: StoredAs<StoredEvent> = {
  kind: 'Event',
  toStored: eventToStored,
  fromStored: (ev) => eventFromStored(ev) as unknown as VersionedObject,
};

/** legacyValidateEvent: what every Event must satisfy, whichever version wrote it. */
export function legacyValidateEvent(ev: StoredEvent): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = ev.metadata.namespace ?? '';
  const ioNamespace = ev.involvedObject.namespace ?? '';
  const mismatch = (): FieldError =>
    fieldInvalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace');
  if (!ev.eventTime) {
    // Events of the older API: the namespaces agree ("default" holds cluster-scoped objects').
    if (
      ioNamespace === '' ? namespace !== '' && namespace !== 'default' : namespace !== ioNamespace
    ) {
      errs.push(mismatch());
    }
  } else {
    if (ioNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(mismatch());
    }
    const controller = ev.reportingComponent ?? '';
    if (controller === '') errs.push(fieldRequired('reportingController', ''));
    for (const msg of isQualifiedName(controller)) {
      errs.push(fieldInvalid('reportingController', controller, msg));
    }
    errs.push(
      ...requiredBounded(
        'reportingInstance',
        ev.reportingInstance,
        REPORTING_INSTANCE_LENGTH_LIMIT,
      ),
    );
    errs.push(...requiredBounded('action', ev.action, ACTION_LENGTH_LIMIT));
    errs.push(...requiredBounded('reason', ev.reason, REASON_LENGTH_LIMIT));
    if ((ev.message ?? '').length > NOTE_LENGTH_LIMIT) {
      errs.push(fieldInvalid('message', '', `can have at most ${NOTE_LENGTH_LIMIT} characters`));
    }
  }
  for (const msg of isDNS1123Subdomain(namespace)) {
    errs.push(fieldInvalid('namespace', namespace, msg));
  }
  return errs;
}

function requiredBounded(path: string, value: string | undefined, max: number): FieldError[] {
  const v = value ?? '';
  const errs: FieldError[] = [];
  if (v.length === 0) errs.push(fieldRequired(path, ''));
  if (v.length > max) errs.push(fieldInvalid(path, '', `can have at most ${max} characters`));
  return errs;
}

function validateSeries(ev: StoredEvent): FieldError[] {
  if (ev.series === undefined) return [];
  const errs: FieldError[] = [];
  if (ev.series.count < 2) errs.push(fieldInvalid('series.count', '', 'should be at least 2'));
  if (!ev.series.lastObservedTime) errs.push(fieldRequired('series.lastObservedTime', ''));
  return errs;
}

/** ValidateEventCreate for a request of events.k8s.io/v1: the strict rules. */
export function validateEventsV1Create(ev: StoredEvent): FieldError[] {
  const errs = legacyValidateEvent(ev);
  errs.push(...validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain));
  errs.push(...validateSeries(ev));
  if (!ev.eventTime) errs.push(fieldRequired('eventTime', ''));
  if (ev.type !== 'Normal' && ev.type !== 'Warning') {
    errs.push(fieldInvalid('type', '', `has invalid value: ${ev.type ?? ''}`));
  }
  if (ev.firstTimestamp) errs.push(fieldInvalid('firstTimestamp', '', 'needs to be unset'));
  if (ev.lastTimestamp) errs.push(fieldInvalid('lastTimestamp', '', 'needs to be unset'));
  if (ev.count) errs.push(fieldInvalid('count', '', 'needs to be unset'));
  if (ev.source?.component || ev.source?.host) {
    errs.push(fieldInvalid('source', '', 'needs to be unset'));
  }
  return errs;
}

/** The fields an update through this version may not change. */
const IMMUTABLE: readonly (readonly [keyof StoredEvent, string])[] = [
  ['involvedObject', 'involvedObject'],
  ['reason', 'reason'],
  ['message', 'message'],
  ['source', 'source'],
  ['firstTimestamp', 'firstTimestamp'],
  ['lastTimestamp', 'lastTimestamp'],
  ['count', 'count'],
  ['type', 'type'],
  ['eventTime', 'eventTime'],
  ['action', 'action'],
  ['related', 'related'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
];

/** ValidateEventUpdate for a request of events.k8s.io/v1. */
export function validateEventsV1Update(next: StoredEvent, old: StoredEvent): FieldError[] {
  const errs = legacyValidateEvent(next);
  errs.push(...validateObjectMetaUpdate(next.metadata, old.metadata));
  if (!deepEqual(next.series, old.series)) errs.push(...validateSeries(next));
  for (const [f, path] of IMMUTABLE) {
    errs.push(...validateImmutableField(next[f], old[f], path));
  }
  return errs;
}

export const EVENTS_V1_EVENT = defineResource<Event>({
  discovery: {
    kind: 'Event',
    group: 'events.k8s.io',
    resource: 'events',
    namespaced: true,
    shortNames: ['ev'],
  },
  storedAs: STORED_AS as StoredAs<Event>,
  expiresAfterEventTtl: true,
  validate: validateEventsV1Create,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateEventsV1Update },
  // printEvent serves both versions.
  table: EVENT.table,
  // The field labels of this version, converted to the stored fields (AddFieldLabelConversionsForEvent).
  fieldSelectors: [
    ...OBJECT_META_FIELD_LABELS,
    'reason',
    'regarding.kind',
    'regarding.namespace',
    'regarding.name',
    'regarding.uid',
    'regarding.apiVersion',
    'regarding.resourceVersion',
    'regarding.fieldPath',
    'reportingController',
    'type',
  ],
  fields: (ev) => {
    const io = ev.involvedObject;
    return {
      ...objectMetaFields(ev.metadata),
      reason: ev.reason ?? '',
      'regarding.kind': io.kind ?? '',
      'regarding.namespace': io.namespace ?? '',
      'regarding.name': io.name ?? '',
      'regarding.uid': io.uid ?? '',
      'regarding.apiVersion': io.apiVersion ?? '',
      'regarding.resourceVersion': io.resourceVersion ?? '',
      'regarding.fieldPath': io.fieldPath ?? '',
      reportingController: ev.reportingComponent ?? '',
      type: ev.type ?? '',
    };
  },
});
