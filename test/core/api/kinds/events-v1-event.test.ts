import { describe, expect, it } from 'vitest';
import type { Event } from '../../../../core/api/cluster-types.ts';
import { formatFieldError } from '../../../../core/api/field-error.ts';
import {
  eventFromStored,
  eventToStored,
  validateEventsV1Create,
  validateEventsV1Update,
  type EventsV1Event,
} from '../../../../core/api/kinds/events-v1-event.ts';

/** A complete events.k8s.io/v1 Event, as client-go's events recorder writes one. */
const v1Event: EventsV1Event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web-1.17f3a', namespace: 'default' },
  eventTime: '2026-01-01T00:00:05.000250Z',
  series: { count: 2, lastObservedTime: '2026-01-01T00:01:05.000000Z' },
  reportingController: 'default-scheduler',
  reportingInstance: 'default-scheduler-node-1',
  action: 'Binding',
  reason: 'Scheduled',
  regarding: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1', apiVersion: 'v1' },
  related: { kind: 'Node', name: 'node-1', apiVersion: 'v1' },
  note: 'Successfully assigned default/web-1 to node-1',
  type: 'Normal',
};

/** The same Event as core/v1 stores and shows it. */
const coreEvent = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'web-1.17f3a', namespace: 'default' },
  involvedObject: v1Event.regarding,
  reason: 'Scheduled',
  message: 'Successfully assigned default/web-1 to node-1',
  type: 'Normal',
  eventTime: '2026-01-01T00:00:05.000250Z',
  series: { count: 2, lastObservedTime: '2026-01-01T00:01:05.000000Z' },
  action: 'Binding',
  related: v1Event.related,
  reportingComponent: 'default-scheduler',
  reportingInstance: 'default-scheduler-node-1',
} as Event;

const errors = (errs: ReturnType<typeof validateEventsV1Create>) => errs.map(formatFieldError);

describe('events.k8s.io/v1 Event', () => {
  it('converts to the stored core Event and back (Convert_v1_Event_To_core_Event and back)', () => {
    expect(eventToStored(v1Event)).toEqual(coreEvent);
    expect(eventFromStored(coreEvent)).toEqual(v1Event);
  });

  it('shows a legacy core Event with its deprecated fields and a null eventTime', () => {
    const legacy = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'x', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      reason: 'Pulled',
      message: 'pulled',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: '2026-01-01T00:00:01Z',
      lastTimestamp: '2026-01-01T00:00:09Z',
      count: 3,
      type: 'Normal',
    } as Event;
    const shown = eventFromStored(legacy);
    expect(shown).toEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: legacy.metadata,
      eventTime: null,
      reason: 'Pulled',
      regarding: legacy.involvedObject,
      note: 'pulled',
      type: 'Normal',
      deprecatedSource: { component: 'kubelet', host: 'node-1' },
      deprecatedFirstTimestamp: '2026-01-01T00:00:01Z',
      deprecatedLastTimestamp: '2026-01-01T00:00:09Z',
      deprecatedCount: 3,
    });
    expect(eventToStored(shown)).toEqual(legacy);
  });

  const stored = (fields: Partial<Record<string, unknown>>) =>
    ({ ...coreEvent, ...fields }) as Event;

  it.each([
    ['a complete event', {}, []],
    ['no eventTime', { eventTime: undefined }, ['eventTime: Required value']],
    ['an unknown type', { type: 'Info' }, ['type: Invalid value: "": has invalid value: Info']],
    [
      'deprecated fields set',
      { firstTimestamp: '2026-01-01T00:00:01Z', count: 2, source: { component: 'kubelet' } },
      [
        'firstTimestamp: Invalid value: "": needs to be unset',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
      ],
    ],
    [
      'no reporting controller, instance, action or reason',
      {
        reportingComponent: undefined,
        reportingInstance: undefined,
        action: undefined,
        reason: undefined,
      },
      [
        'reportingController: Required value',
        // IsQualifiedName("") reports both, and upstream passes both on.
        'reportingController: Invalid value: "": name part must be non-empty',
        "reportingController: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        'reportingInstance: Required value',
        'action: Required value',
        'reason: Required value',
      ],
    ],
    [
      'a reporting controller that is not a qualified name',
      { reportingComponent: 'bad controller' },
      [
        "reportingController: Invalid value: \"bad controller\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    ],
    [
      'a note over 1024 characters',
      { message: 'x'.repeat(1025) },
      ['message: Invalid value: "": can have at most 1024 characters'],
    ],
    [
      'a series of one',
      { series: { count: 1, lastObservedTime: '' } },
      [
        'series.count: Invalid value: "": should be at least 2',
        'series.lastObservedTime: Required value',
      ],
    ],
    [
      'an event about an object of another namespace',
      { metadata: { name: 'x', namespace: 'team-a' }, involvedObject: { kind: 'Node', name: 'n' } },
      ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
    ],
  ] as const)('create: %s', (_name, fields, expected) => {
    expect(errors(validateEventsV1Create(stored(fields)))).toEqual(expected);
  });

  it('update: everything but the series and metadata is immutable', () => {
    const old = stored({ metadata: { ...coreEvent.metadata, resourceVersion: '5' } });
    const series = { count: 3, lastObservedTime: '2026-01-01T00:02:00.000000Z' };
    expect(validateEventsV1Update({ ...old, series } as Event, old)).toEqual([]);
    expect(
      errors(
        validateEventsV1Update(
          { ...old, message: 'changed', reportingComponent: 'other' } as Event,
          old,
        ),
      ),
    ).toEqual([
      'message: Invalid value: "changed": field is immutable',
      'reportingController: Invalid value: "other": field is immutable',
    ]);
  });
});
