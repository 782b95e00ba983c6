/**
 * The reconciler's plan for one Service and address type (staging/src/k8s.io/endpointslice/
 * reconciler.go reconcileByAddressType): keep endpoints where they are, drop the ones no longer
 * wanted, fill slices with room before creating new ones, at most `maxEndpointsPerSlice` each,
 * one group of slices per distinct port set, and an empty placeholder slice when a Service has
 * no endpoints at all. Pure: the controller carries it out.
 */
import type { EndpointSlice } from '../../api/kinds/endpoint-slice.ts';
import { canonicalJson } from '../common/canonical-json.ts';
import { type AddressType, type Endpoint, type EndpointPort, portsKey } from './pod-endpoints.ts';

export interface DesiredGroup {
  readonly ports: readonly EndpointPort[];
  readonly endpoints: readonly Endpoint[];
}

export interface SlicePlan {
  /** Slices to create: endpoints, ports and labels; the controller adds the rest. */
  readonly create: readonly { ports: readonly EndpointPort[]; endpoints: readonly Endpoint[] }[];
  readonly update: readonly EndpointSlice[];
  readonly delete: readonly EndpointSlice[];
}

export function planSlices(
  desired: ReadonlyMap<string, DesiredGroup>,
  existing: readonly EndpointSlice[],
  labels: Readonly<Record<string, string>>,
  addressType: AddressType,
  maxPerSlice: number,
): SlicePlan {
  const remaining = new Map<string, Map<string, Endpoint>>();
  for (const [key, g] of desired)
    remaining.set(key, new Map(g.endpoints.map((e) => [uidOf(e), e])));
  const toDelete: EndpointSlice[] = [];
  const touched = new Map<EndpointSlice, Endpoint[]>();
  const untouched: EndpointSlice[] = [];
  for (const slice of existing) {
    const key = portsKey(slice.ports ?? []);
    const want = remaining.get(key);
    if (want === undefined || isPlaceholder(slice)) {
      toDelete.push(slice);
      continue;
    }
    const kept: Endpoint[] = [];
    for (const e of slice.endpoints) {
      const fresh = want.get(uidOf(e));
      if (fresh === undefined) continue;
      kept.push(fresh);
      want.delete(uidOf(e));
    }
    if (kept.length === 0) toDelete.push(slice);
    else if (canonicalJson(kept) !== canonicalJson(slice.endpoints) || labelsDiffer(slice, labels))
      touched.set(slice, kept);
    else untouched.push(slice);
  }
  const create: { ports: readonly EndpointPort[]; endpoints: Endpoint[] }[] = [];
  for (const [key, want] of remaining) {
    if (want.size === 0) continue;
    const left = [...want.values()];
    const group = desired.get(key) as DesiredGroup;
    // Slices already being written take more first.
    for (const slice of [...touched.keys()].filter((x) => portsKey(x.ports ?? []) === key)) {
      const current = touched.get(slice) ?? [];
      const room = maxPerSlice - current.length;
      if (room > 0 && left.length > 0) touched.set(slice, [...current, ...left.splice(0, room)]);
    }
    // Then, for a remainder smaller than a slice, the untouched slice it fits best; else new ones.
    while (left.length > 0) {
      const fit =
        left.length < maxPerSlice
          ? untouched
              .filter(
                (x) =>
                  portsKey(x.ports ?? []) === key &&
                  maxPerSlice - x.endpoints.length >= left.length,
              )
              .sort((x, y) => y.endpoints.length - x.endpoints.length)[0]
          : undefined;
      if (fit === undefined) {
        create.push({ ports: group.ports, endpoints: left.splice(0, maxPerSlice) });
        continue;
      }
      untouched.splice(untouched.indexOf(fit), 1);
      touched.set(fit, [...fit.endpoints, ...left.splice(0)]);
    }
  }
  const update = [...touched].map(([slice, endpoints]) => ({
    ...slice,
    metadata: { ...slice.metadata, labels: { ...slice.metadata.labels, ...labels } },
    endpoints,
  }));
  const kept = update.length + untouched.length + create.length;
  if (kept === 0) {
    // A Service with no endpoints keeps one empty slice, so readers see it is known and empty.
    const placeholder = existing.find(
      (s) => isPlaceholder(s) && s.addressType === addressType && !labelsDiffer(s, labels),
    );
    if (placeholder !== undefined)
      return { create, update, delete: toDelete.filter((s) => s !== placeholder) };
    return { create: [{ ports: [], endpoints: [] }], update, delete: toDelete };
  }
  return { create, update, delete: toDelete };
}

function uidOf(e: Endpoint): string {
  return e.targetRef?.uid ?? e.addresses.join(',');
}

function isPlaceholder(s: EndpointSlice): boolean {
  return s.endpoints.length === 0 && (s.ports?.length ?? 0) === 0;
}

function labelsDiffer(slice: EndpointSlice, labels: Readonly<Record<string, string>>): boolean {
  const have = slice.metadata.labels ?? {};
  return Object.entries(labels).some(([k, v]) => have[k] !== v);
}
