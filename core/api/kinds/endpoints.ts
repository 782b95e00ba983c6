/**
 * Endpoints (pkg/apis/core/v1/defaults.go SetDefaults_EndpointPort;
 * pkg/apis/core/validation/validation.go ValidateEndpoints / validateEndpointSubsets /
 * validateEndpointAddress / validateEndpointPort; pkg/registry/core/endpoint/strategy.go;
 * printers: printEndpoints with formatEndpoints).
 */
import type { Endpoints as UpstreamEndpoints } from 'kubernetes-types/core/v1.d.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPortNum,
} from '../content-checks.ts';
import {
  child,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  index,
  type FieldError,
} from '../field-error.ts';
import { parseIP, validateIP, validateNonSpecialIP } from '../ip.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { Stored } from '../stored.ts';
import { AGE_COLUMN, defineResource, NAME_COLUMN } from './common.ts';

export type Endpoints = Stored<UpstreamEndpoints>;
type Subset = NonNullable<Endpoints['subsets']>[number];
type Address = NonNullable<Subset['addresses']>[number];
type Port = NonNullable<Subset['ports']>[number];

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** SetDefaults_EndpointPort: TCP. */
export function defaultEndpoints(ep: Endpoints): Endpoints {
  if (ep.subsets === undefined || ep.subsets === null) return ep;
  return {
    ...ep,
    subsets: ep.subsets.map((ss) =>
      ss.ports === undefined
        ? ss
        : { ...ss, ports: ss.ports.map((p) => (p.protocol ? p : { ...p, protocol: 'TCP' })) },
    ),
  };
}

function validateAddress(address: Address, path: string): FieldError[] {
  const errs = validateIP(child(path, 'ip'), address.ip);
  if (address.hostname) {
    for (const m of isDNS1123Label(address.hostname)) {
      errs.push(fieldInvalid(child(path, 'hostname'), address.hostname, m));
    }
  }
  if (address.nodeName !== undefined && address.nodeName !== null) {
    // ValidateNodeName is a DNS subdomain check.
    for (const m of isDNS1123Subdomain(address.nodeName)) {
      errs.push(fieldInvalid(child(path, 'nodeName'), address.nodeName, m));
    }
  }
  errs.push(...validateNonSpecialIP(address.ip, child(path, 'ip')));
  return errs;
}

function validatePort(port: Port, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !port.name) errs.push(fieldRequired(child(path, 'name'), ''));
  else if (port.name) {
    for (const m of isDNS1123Label(port.name)) {
      errs.push(fieldInvalid(child(path, 'name'), port.name, m));
    }
  }
  for (const m of isValidPortNum(port.port))
    errs.push(fieldInvalid(child(path, 'port'), port.port, m));
  if (!port.protocol) errs.push(fieldRequired(child(path, 'protocol'), ''));
  else if (!PROTOCOLS.includes(port.protocol)) {
    errs.push(fieldNotSupported(child(path, 'protocol'), port.protocol, PROTOCOLS));
  }
  if (port.appProtocol !== undefined && port.appProtocol !== null) {
    for (const m of isQualifiedName(port.appProtocol)) {
      errs.push(fieldInvalid(child(path, 'appProtocol'), port.appProtocol, m));
    }
  }
  return errs;
}

function validateSubsets(subsets: readonly Subset[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  (subsets ?? []).forEach((ss, i) => {
    const path = index('subsets', i);
    const addresses = ss.addresses ?? [];
    const notReady = ss.notReadyAddresses ?? [];
    if (addresses.length === 0 && notReady.length === 0) {
      errs.push(fieldRequired(path, 'must specify `addresses` or `notReadyAddresses`'));
    }
    addresses.forEach((a, j) =>
      errs.push(...validateAddress(a, index(child(path, 'addresses'), j))),
    );
    notReady.forEach((a, j) => {
      errs.push(...validateAddress(a, index(child(path, 'notReadyAddresses'), j)));
    });
    const ports = ss.ports ?? [];
    ports.forEach((p, j) =>
      errs.push(...validatePort(p, ports.length > 1, index(child(path, 'ports'), j))),
    );
  });
  return errs;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  return [
    ...validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain),
    ...validateSubsets(ep.subsets),
  ];
}

export function validateEndpointsUpdate(next: Endpoints, old: Endpoints): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateSubsets(next.subsets),
  ];
}

/** net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(ip: string, port: number): string {
  return parseIP(ip)?.family === 'IPv6' || ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** formatEndpoints: the first three "ip:port", then "+ N more...". */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let more = false;
  let count = 0;
  const add = (s: string) => {
    if (list.length === max) more = true;
    else list.push(s);
  };
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) add(a.ip);
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) add(joinHostPort(a.ip, p.port));
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const ENDPOINTS = defineResource<Endpoints>({
  discovery: {
    kind: 'Endpoints',
    group: '',
    resource: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
  },
  defaults: defaultEndpoints,
  validate: validateEndpoints,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateEndpointsUpdate },
  table: [
    NAME_COLUMN,
    {
      name: 'Endpoints',
      type: 'string',
      priority: 0,
      description:
        'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.',
      cell: formatEndpoints,
    },
    AGE_COLUMN,
  ],
});
