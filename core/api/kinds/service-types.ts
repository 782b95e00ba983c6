/**
 * core/v1 Service, its object type from kubernetes-types (see ../stored.ts). The registry
 * stores Services defaulted and allocated: type, sessionAffinity, ports' protocol and
 * targetPort, traffic policies, ipFamilies / ipFamilyPolicy and clusterIPs are always set.
 */
import type { Service as UpstreamService } from 'kubernetes-types/core/v1.d.ts';
import type { Stored } from '../stored.ts';

export type Service = Stored<UpstreamService>;
export type ServiceSpec = NonNullable<Service['spec']>;
export type ServicePort = NonNullable<ServiceSpec['ports']>[number];
