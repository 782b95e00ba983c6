import { describe, expect, it } from 'vitest';
import {
  isFieldSelectorError,
  parseFieldSelector,
  unsupportedFieldLabel,
  type FieldMatcher,
} from '../../../core/api/field-selectors.ts';
import type { Event } from '../../../core/api/cluster-types.ts';
import { mustDefinitionFor } from '../../../core/api/kinds/index.ts';
import type { Node } from '../../../core/api/node-types.ts';
import type { Pod } from '../../../core/api/pod-types.ts';

function mustParse(s: string): FieldMatcher {
  const m = parseFieldSelector(s);
  if (isFieldSelectorError(m)) throw new Error(m.message);
  return m;
}

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'nginx' }],
    schedulerName: 'default-scheduler',
    restartPolicy: 'Always',
  },
  status: { phase: 'Running' },
};

describe('parseFieldSelector', () => {
  const table: [string, string][] = [
    ['', ''],
    ['metadata.name=x', 'metadata.name=x'],
    ['metadata.name==x', 'metadata.name=x'],
    ['spec.nodeName!=', 'spec.nodeName!='],
    ['status.phase=Running,metadata.name=x', 'metadata.name=x,status.phase=Running'],
    ['a=x\\,y', 'a=x\\,y'],
    ['a=x\\=y\\\\', 'a=x\\=y\\\\'],
  ];
  it.each(table)('%j -> %j', (input, out) => {
    expect(mustParse(input).toString()).toBe(out);
  });

  it('unescapes values', () => {
    expect(mustParse('a=x\\,y').requirements[0]?.value).toBe('x,y');
  });

  const bad: [string, string][] = [
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: ='],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
  ];
  it.each(bad)('rejects %j', (input, message) => {
    const r = parseFieldSelector(input);
    expect(isFieldSelectorError(r) && r.message).toBe(message);
  });
});

const fieldsOf = (obj: Pod | Node | Event) => mustDefinitionFor(obj.kind).fields(obj as never);
const fieldLabels = (kind: 'Pod' | 'Node') => mustDefinitionFor(kind).fieldSelectors;

describe('field sets of the kind definitions + matching', () => {
  const table: [string, boolean][] = [
    ['metadata.name=web-1', true],
    ['metadata.namespace=default,status.phase=Running', true],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['status.phase!=Running', false],
    ['spec.schedulerName=default-scheduler', true],
    ['spec.restartPolicy=Always', true],
    ['status.nominatedNodeName=', true],
    ['spec.hostNetwork=false', true],
  ];
  it.each(table)('pod %j -> %s', (sel, want) => {
    expect(mustParse(sel).matches(fieldsOf(pod))).toBe(want);
  });

  it('nodes and events', () => {
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { unschedulable: true },
    };
    expect(fieldsOf(node)).toEqual({
      'metadata.name': 'n1',
      'metadata.namespace': '',
      'spec.unschedulable': 'true',
    });
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
      source: { component: 'default-scheduler' },
    };
    expect(
      mustParse(
        'involvedObject.kind=Pod,involvedObject.name=web-1,reason=Scheduled,type=Normal',
      ).matches(fieldsOf(ev)),
    ).toBe(true);
    expect(fieldsOf(ev)['source']).toBe('default-scheduler');
  });

  it('reports field labels a kind does not support', () => {
    expect(unsupportedFieldLabel(fieldLabels('Pod'), mustParse('spec.nodeName=a,spec.foo=b'))).toBe(
      'spec.foo',
    );
    expect(
      unsupportedFieldLabel(fieldLabels('Node'), mustParse('spec.unschedulable=false')),
    ).toBeUndefined();
  });
});
