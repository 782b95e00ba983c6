/**
 * PodSecurity (k8s.io/pod-security-admission): a namespace's labels
 * pod-security.kubernetes.io/{enforce,warn,audit} pick a level of the Pod Security Standards
 * (privileged, baseline, restricted); a pod that violates the enforce level is refused, one
 * that violates the warn level is admitted with a warning, in upstream's wording. Without
 * labels the level is privileged (the default configuration). Checked: host namespaces,
 * privileged containers, hostPath volumes, host ports and non-default capabilities (baseline),
 * and privilege escalation, dropped capabilities, runAsNonRoot and the seccomp profile
 * (restricted). Versions are read as "latest"; audit has no audit log to go to yet.
 */
import * as errors from '../../../api/errors.ts';
import type { Pod as UpstreamPod, SecurityContext } from 'kubernetes-types/core/v1.d.ts';
import type { Namespace } from '../../../api/cluster-types.ts';
import type { Status } from '../../../api/status-types.ts';
import {
  ADMIT,
  coreResources,
  deny,
  forbidden,
  handlesOnly,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';
import { cachedOrLive, type ObjectLookups } from '../lookups.ts';

export const POD_SECURITY = 'PodSecurity';

export type Level = 'privileged' | 'baseline' | 'restricted';
const LEVELS: readonly Level[] = ['privileged', 'baseline', 'restricted'];
const LABEL_PREFIX = 'pod-security.kubernetes.io/';

/** capabilities_baseline.go: what a baseline container may add. */
const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

interface Violation {
  readonly reason: string;
  readonly detail: string;
}

interface Check {
  readonly level: Exclude<Level, 'privileged'>;
  check(pod: UpstreamPod): Violation | undefined;
}

export function podSecurity(lookups: ObjectLookups): AdmissionPlugin {
  return {
    name: POD_SECURITY,
    informed: ['Namespace'],
    resources: coreResources('pods'),
    handles: handlesOnly('CREATE'),
    validate: (a) => {
      if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource !== '') {
        return ADMIT;
      }
      // Upstream's namespace getter: the informer's copy, else a live read.
      const ns = cachedOrLive(lookups, 'Namespace', undefined, a.namespace);
      return ns instanceof Promise ? ns.then((n) => admitPod(a, n)) : admitPod(a, ns);
    },
  };
}

/** The pod against the levels its namespace's labels enforce and warn of. */
function admitPod(a: AdmissionAttributes, ns: Namespace | Status): AdmissionResult {
  if (errors.isStatus(ns)) return ADMIT;
  const labels = ns.metadata.labels ?? {};
  const enforce = levelOf(labels[`${LABEL_PREFIX}enforce`]);
  const warn = levelOf(labels[`${LABEL_PREFIX}warn`]);
  const pod = a.object as unknown as UpstreamPod;
  const enforced = violations(pod, enforce);
  if (enforced.length > 0) {
    return deny(forbidden(a, `violates PodSecurity ${policyName(enforce)}: ${format(enforced)}`));
  }
  const warned = violations(pod, warn);
  return warned.length === 0
    ? ADMIT
    : {
        ...ADMIT,
        warnings: [`would violate PodSecurity ${policyName(warn)}: ${format(warned)}`],
      };
}

function levelOf(value: string | undefined): Level {
  return LEVELS.find((l) => l === value) ?? 'privileged';
}

function policyName(level: Level): string {
  return JSON.stringify(`${level}:latest`);
}

function format(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.reason} (${v.detail})`).join(', ');
}

export function violations(pod: UpstreamPod, level: Level): Violation[] {
  if (level === 'privileged') return [];
  return CHECKS.filter((c) => level === 'restricted' || c.level === 'baseline')
    .map((c) => c.check(pod))
    .filter((v): v is Violation => v !== undefined);
}

type Container = NonNullable<UpstreamPod['spec']>['containers'][number];

function containersOf(pod: UpstreamPod): Container[] {
  const s = pod.spec;
  if (s === undefined) return [];
  return [
    ...(s.initContainers ?? []),
    ...s.containers,
    ...((s.ephemeralContainers ?? []) as Container[]),
  ];
}

/** `container "a"` or `containers "a", "b"`, as upstream's pluralize. */
function named(what: string, names: readonly string[]): string {
  const quoted = names.map((n) => JSON.stringify(n)).join(', ');
  return `${names.length === 1 ? what : `${what}s`} ${quoted}`;
}

function failing(pod: UpstreamPod, bad: (c: Container, sc: SecurityContext) => boolean): string[] {
  return containersOf(pod)
    .filter((c) => bad(c, c.securityContext ?? {}))
    .map((c) => c.name);
}

const CHECKS: readonly Check[] = [
  {
    level: 'baseline',
    check: (pod) => {
      const s = pod.spec;
      const host = [
        s?.hostNetwork === true ? 'hostNetwork=true' : '',
        s?.hostPID === true ? 'hostPID=true' : '',
        s?.hostIPC === true ? 'hostIPC=true' : '',
      ].filter((x) => x !== '');
      return host.length === 0 ? undefined : { reason: 'host namespaces', detail: host.join(', ') };
    },
  },
  {
    level: 'baseline',
    check: (pod) => {
      const bad = failing(pod, (_, sc) => sc.privileged === true);
      return bad.length === 0
        ? undefined
        : {
            reason: 'privileged',
            detail: `${named('container', bad)} must not set securityContext.privileged=true`,
          };
    },
  },
  {
    level: 'baseline',
    check: (pod) => {
      const bad = (pod.spec?.volumes ?? [])
        .filter((v) => v.hostPath !== undefined)
        .map((v) => v.name);
      return bad.length === 0
        ? undefined
        : { reason: 'hostPath volumes', detail: `${named('volume', bad)}` };
    },
  },
  {
    level: 'baseline',
    check: (pod) => {
      const uses = containersOf(pod).flatMap((c) =>
        (c.ports ?? [])
          .filter((p) => (p.hostPort ?? 0) !== 0)
          .map((p) => `${named('container', [c.name])} uses hostPort ${p.hostPort}`),
      );
      return uses.length === 0 ? undefined : { reason: 'hostPort', detail: uses.join(', ') };
    },
  },
  {
    level: 'baseline',
    check: (pod) => {
      const adds = containersOf(pod).flatMap((c) => {
        const extra = (c.securityContext?.capabilities?.add ?? []).filter(
          (cap) => !BASELINE_CAPABILITIES.has(cap),
        );
        return extra.length === 0
          ? []
          : [
              `${named('container', [c.name])} must not include ${extra.map((x) => JSON.stringify(x)).join(', ')} in securityContext.capabilities.add`,
            ];
      });
      return adds.length === 0
        ? undefined
        : { reason: 'non-default capabilities', detail: adds.join(', ') };
    },
  },
  {
    level: 'restricted',
    check: (pod) => {
      const bad = failing(pod, (_, sc) => sc.allowPrivilegeEscalation !== false);
      return bad.length === 0
        ? undefined
        : {
            reason: 'allowPrivilegeEscalation != false',
            detail: `${named('container', bad)} must set securityContext.allowPrivilegeEscalation=false`,
          };
    },
  },
  {
    level: 'restricted',
    check: (pod) => {
      const bad = failing(pod, (_, sc) => !(sc.capabilities?.drop ?? []).includes('ALL'));
      return bad.length === 0
        ? undefined
        : {
            reason: 'unrestricted capabilities',
            detail: `${named('container', bad)} must set securityContext.capabilities.drop=["ALL"]`,
          };
    },
  },
  {
    level: 'restricted',
    check: (pod) => {
      const podLevel = pod.spec?.securityContext?.runAsNonRoot === true;
      const bad = failing(
        pod,
        (_, sc) => sc.runAsNonRoot === false || (!podLevel && sc.runAsNonRoot !== true),
      );
      return bad.length === 0
        ? undefined
        : {
            reason: 'runAsNonRoot != true',
            detail: `pod or ${named('container', bad)} must set securityContext.runAsNonRoot=true`,
          };
    },
  },
  {
    level: 'restricted',
    check: (pod) => {
      const ok = (t: string | undefined): boolean => t === 'RuntimeDefault' || t === 'Localhost';
      const podLevel = ok(pod.spec?.securityContext?.seccompProfile?.type);
      const bad = failing(pod, (_, sc) => {
        const t = sc.seccompProfile?.type;
        return t === undefined ? !podLevel : !ok(t);
      });
      return bad.length === 0
        ? undefined
        : {
            reason: 'seccompProfile',
            detail: `pod or ${named('container', bad)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
          };
    },
  },
];
