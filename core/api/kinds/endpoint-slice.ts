/**
 * EndpointSlices of discovery.k8s.io/v1 (pkg/apis/discovery/v1/defaults.go;
 * pkg/apis/discovery/validation/validation.go ValidateEndpointSlice*;
 * pkg/registry/discovery/endpointslice/strategy.go; printers: printEndpointSlice).
 */
import type {
  Endpoint,
  EndpointPort,
  EndpointSlice as UpstreamEndpointSlice,
} from 'kubernetes-types/discovery/v1.d.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
} from '../content-checks.ts';
import {
  child,
  fieldDuplicate,
  fieldInternal,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooMany,
  index,
  key,
  type FieldError,
} from '../field-error.ts';
import { isValidIPv4Address, isValidIPv6Address, nonSpecialIPErrors } from '../ip-address.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';
import type { TableColumn } from './definition.ts';

export type EndpointSlice = Stored<UpstreamEndpointSlice>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_ENDPOINTS = 1000;
const MAX_ZONE_HINTS = 8;
const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** SetDefaults_EndpointPort: an unnamed TCP port unless said otherwise. */
export function defaultEndpointSlice(eps: EndpointSlice): EndpointSlice {
  if (eps.ports === undefined) return eps;
  return {
    ...eps,
    ports: eps.ports.map((p) => ({ ...p, name: p.name ?? '', protocol: p.protocol ?? 'TCP' })),
  };
}

/** IsFullyQualifiedDomainName: a subdomain of at least two labels, a trailing dot allowed. */
function validateFQDN(path: string, address: string): FieldError[] {
  if (address.length === 0) return [fieldRequired(path, '')];
  const name = address.endsWith('.') ? address.slice(0, -1) : address;
  const subdomain = isDNS1123Subdomain(name);
  if (subdomain.length > 0) return [fieldInvalid(path, name, subdomain.join(','))];
  const labels = name.split('.');
  if (labels.length < 2) {
    return [
      fieldInvalid(path, name, 'should be a domain with at least two segments separated by dots'),
    ];
  }
  for (const label of labels) {
    const errs = isDNS1123Label(label);
    if (errs.length > 0) return [fieldInvalid(path, label, errs.join(','))];
  }
  return [];
}

function validateAddress(addressType: string, path: string, address: string): FieldError[] {
  switch (addressType) {
    case 'IPv4':
      if (!isValidIPv4Address(address)) {
        return [fieldInvalid(path, address, 'must be a valid IPv4 address')];
      }
      return nonSpecialIPErrors(address).map((msg) => fieldInvalid(path, address, msg));
    case 'IPv6':
      if (!isValidIPv6Address(address)) {
        return [fieldInvalid(path, address, 'must be a valid IPv6 address')];
      }
      return nonSpecialIPErrors(address).map((msg) => fieldInvalid(path, address, msg));
    case 'FQDN':
      return validateFQDN(path, address);
    default:
      // Unknown types are reported at addressType; their addresses are not checked.
      return [];
  }
}

function validateHints(hints: DeepReadonly<Endpoint>['hints'], path: string): FieldError[] {
  const zones = hints?.forZones ?? [];
  const zonesPath = child(path, 'forZones');
  if (zones.length > MAX_ZONE_HINTS) return [fieldTooMany(zonesPath, zones.length, MAX_ZONE_HINTS)];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, zone] of zones.entries()) {
    const p = child(index(zonesPath, i), 'name');
    if (seen.has(zone.name)) errs.push(fieldDuplicate(p, zone.name));
    else seen.add(zone.name);
    for (const msg of isLabelValue(zone.name)) errs.push(fieldInvalid(p, zone.name, msg));
  }
  return errs;
}

function validateEndpoint(
  addressType: string,
  ep: DeepReadonly<Endpoint>,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const addressesPath = child(path, 'addresses');
  const addresses = ep.addresses ?? [];
  if (addresses.length === 0) {
    errs.push(fieldRequired(addressesPath, 'must contain at least 1 address'));
  } else if (addresses.length > MAX_ADDRESSES) {
    errs.push(fieldTooMany(addressesPath, addresses.length, MAX_ADDRESSES));
  }
  for (const [i, address] of addresses.entries()) {
    errs.push(...validateAddress(addressType, index(addressesPath, i), address));
  }
  if (ep.nodeName !== undefined) {
    for (const msg of nameIsDNSSubdomain(ep.nodeName, false)) {
      errs.push(fieldInvalid(child(path, 'nodeName'), ep.nodeName, msg));
    }
  }
  const topologyPath = child(path, 'deprecatedTopology');
  const topology = ep.deprecatedTopology ?? {};
  const topologyCount = Object.keys(topology).length;
  if (topologyCount > MAX_TOPOLOGY_LABELS) {
    errs.push(fieldTooMany(topologyPath, topologyCount, MAX_TOPOLOGY_LABELS));
  }
  errs.push(...validateLabels(ep.deprecatedTopology, topologyPath));
  if (Object.hasOwn(topology, LABEL_TOPOLOGY_ZONE)) {
    errs.push(
      fieldInternal(
        key(topologyPath, LABEL_TOPOLOGY_ZONE),
        'reserved key was not removed in conversion',
      ),
    );
  }
  if (ep.hostname !== undefined) {
    for (const msg of isDNS1123Label(ep.hostname)) {
      errs.push(fieldInvalid(child(path, 'hostname'), ep.hostname, msg));
    }
  }
  if (ep.hints !== undefined) errs.push(...validateHints(ep.hints, child(path, 'hints')));
  return errs;
}

function validatePorts(ports: readonly DeepReadonly<EndpointPort>[]): FieldError[] {
  if (ports.length > MAX_PORTS) return [fieldTooMany('ports', ports.length, MAX_PORTS)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [i, port] of ports.entries()) {
    const p = index('ports', i);
    const name = port.name ?? '';
    if (name.length > 0) {
      for (const msg of isDNS1123Label(name)) errs.push(fieldInvalid(child(p, 'name'), name, msg));
    }
    if (names.has(name)) errs.push(fieldDuplicate(child(p, 'name'), name));
    else names.add(name);
    if (port.protocol === undefined) errs.push(fieldRequired(child(p, 'protocol'), ''));
    else if (!PORT_PROTOCOLS.includes(port.protocol)) {
      errs.push(fieldNotSupported(child(p, 'protocol'), port.protocol, PORT_PROTOCOLS));
    }
    if (port.appProtocol !== undefined) {
      for (const msg of isQualifiedName(port.appProtocol)) {
        errs.push(fieldInvalid(child(p, 'appProtocol'), port.appProtocol, msg));
      }
    }
  }
  return errs;
}

export function validateEndpointSlice(eps: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(eps.metadata, true, nameIsDNSSubdomain);
  const addressType = eps.addressType ?? '';
  if (addressType === '') errs.push(fieldRequired('addressType', ''));
  else if (!ADDRESS_TYPES.includes(addressType)) {
    errs.push(fieldNotSupported('addressType', addressType, ADDRESS_TYPES));
  }
  const endpoints = eps.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) {
    errs.push(fieldTooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  } else {
    for (const [i, ep] of endpoints.entries()) {
      errs.push(...validateEndpoint(addressType, ep, index('endpoints', i)));
    }
  }
  errs.push(...validatePorts(eps.ports ?? []));
  return errs;
}

export function validateEndpointSliceUpdate(next: EndpointSlice, old: EndpointSlice): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateEndpointSlice(next),
    ...validateImmutableField(next.addressType, old.addressType, 'addressType'),
  ];
}

/**
 * endpointSliceStrategy.PrepareForUpdate: generation moves on when anything but metadata
 * changes, or the labels do (the EndpointSlice controllers' mirroring keys on them).
 */
function endpointSliceChanged(next: EndpointSlice, old: EndpointSlice): boolean {
  const { metadata: nextMeta, ...nextRest } = next;
  const { metadata: oldMeta, ...oldRest } = old;
  return !deepEqual(nextRest, oldRest) || !deepEqual(nextMeta.labels, oldMeta.labels);
}

/** listWithMoreString: the first three, then how many more; "<unset>" for none. */
function listWithMore(values: readonly string[]): string {
  const max = 3;
  if (values.length === 0) return '<unset>';
  const shown = values.slice(0, max).join(',');
  return values.length > max ? `${shown} + ${values.length - max} more...` : shown;
}

const TABLE: readonly TableColumn<EndpointSlice>[] = [
  NAME_COLUMN,
  {
    name: 'AddressType',
    type: 'string',
    priority: 0,
    description:
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.',
    cell: (eps) => eps.addressType,
  },
  {
    name: 'Ports',
    type: 'string',
    priority: 0,
    description:
      'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.',
    // formatDiscoveryPorts: the number, else the name, else "*" (all ports).
    cell: (eps) =>
      listWithMore(
        (eps.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : (p.name ?? '*'))),
      ),
  },
  {
    name: 'Endpoints',
    type: 'string',
    priority: 0,
    description:
      'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.',
    cell: (eps) => listWithMore((eps.endpoints ?? []).flatMap((e) => e.addresses)),
  },
  AGE_COLUMN,
];

export const ENDPOINT_SLICE = defineResource<EndpointSlice>({
  discovery: {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    resource: 'endpointslices',
    namespaced: true,
  },
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateEndpointSliceUpdate },
  tracksGeneration: true,
  generationChanged: endpointSliceChanged,
  table: TABLE,
});
