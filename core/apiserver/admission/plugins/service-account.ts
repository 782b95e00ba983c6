/**
 * ServiceAccount (plugin/pkg/admission/serviceaccount): a new pod runs as a service account,
 * `default` unless it names one, and the service account must exist (the default one is looked
 * for ten times, since its controller may not have made it yet). Unless the pod or its service
 * account opts out, every container gets the API token as a projected volume at
 * /var/run/secrets/kubernetes.io/serviceaccount (token, the cluster CA, the namespace), and a
 * pod without image pull secrets takes its service account's. Mirror pods are left alone.
 *
 * Upstream names the volume kube-api-access-<5 random characters>; admission here has no
 * random stream, so the suffix is derived from the pod's namespace and name (stable and still
 * unlikely to collide with a volume the pod has).
 *
 * As upstream's getServiceAccount, the account is read from the server's informer, and from the
 * store only when the informer does not hold it (then, for the default account, again and
 * again while its controller may still be making it).
 */
import { MIRROR_POD_ANNOTATION } from '../../../api/pod-helpers.ts';
import * as errors from '../../../api/errors.ts';
import type { ServiceAccount } from '../../../api/kinds/service-account.ts';
import type { Status } from '../../../api/status-types.ts';
import type { Container, Pod, Volume } from '../../../api/pod-types.ts';
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
import type { ObjectLookups } from '../lookups.ts';

export const SERVICE_ACCOUNT = 'ServiceAccount';

export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** The token's lifetime: an hour, plus upstream's 7 s to tell it from other tokens. */
const TOKEN_EXPIRATION_SECONDS = 3607;
/** How often the default service account is looked for before the pod is refused. */
const DEFAULT_ACCOUNT_ATTEMPTS = 10;
/** Upstream waits 100-200 ms at random between attempts; a fixed 150 ms here. */
const RETRY_INTERVAL_US = 150_000;
/** names.SimpleNameGenerator's alphabet. */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function serviceAccount(
  lookups: ObjectLookups,
  sleep: (us: number) => Promise<void>,
): AdmissionPlugin {
  return {
    name: SERVICE_ACCOUNT,
    informed: ['ServiceAccount'],
    resources: coreResources('pods'),
    handles: handlesOnly('CREATE'),
    admit: (a) => {
      if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource !== '')
        return ADMIT;
      if (a.object?.kind !== 'Pod') return ADMIT;
      const pod = a.object as Pod;
      if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return ADMIT;
      return admitPod(lookups, sleep, a, pod);
    },
  };
}

/**
 * A pod's service account: it must exist; its token and image pull secrets go to the pod. An
 * answer at once when the informer holds the account.
 */
function admitPod(
  lookups: ObjectLookups,
  sleep: (us: number) => Promise<void>,
  a: AdmissionAttributes,
  pod: Pod,
): AdmissionResult | Promise<AdmissionResult> {
  const name = pod.spec.serviceAccountName || DEFAULT_SERVICE_ACCOUNT_NAME;
  const informed = lookups.cached('ServiceAccount', a.namespace, name);
  if (informed !== undefined) return admitWith(a, pod, name, informed);
  return findServiceAccount(lookups, sleep, a.namespace, name).then((sa) =>
    admitWith(a, pod, name, sa),
  );
}

function admitWith(
  a: AdmissionAttributes,
  pod: Pod,
  name: string,
  sa: ServiceAccount | Status,
): AdmissionResult {
  if (errors.isStatus(sa)) {
    return deny(
      forbidden(a, `error looking up service account ${a.namespace}/${name}: ${sa.message ?? ''}`),
    );
  }
  let next: Pod = { ...pod, spec: { ...pod.spec, serviceAccountName: name } };
  if (shouldAutomount(sa, pod)) next = mountToken(next);
  if ((pod.spec.imagePullSecrets ?? []).length === 0 && (sa.imagePullSecrets ?? []).length > 0)
    next = { ...next, spec: { ...next.spec, imagePullSecrets: sa.imagePullSecrets } };
  return { allowed: true, object: next };
}

/** The store's account, looked for again a while when it is the default one. */
async function findServiceAccount(
  lookups: ObjectLookups,
  sleep: (us: number) => Promise<void>,
  namespace: string,
  name: string,
): Promise<ServiceAccount | Status> {
  const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? DEFAULT_ACCOUNT_ATTEMPTS : 1;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(RETRY_INTERVAL_US);
    const sa = await lookups.get('ServiceAccount', namespace, name);
    if (!errors.isStatus(sa)) return sa;
    if (sa.code !== 404) return sa;
  }
  return errors.notFound('serviceaccount', name);
}

function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  return pod.spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
}

/** The projected token volume, mounted read-only in every container without that mount path. */
function mountToken(pod: Pod): Pod {
  const existing = (pod.spec.volumes ?? []).find((v) => v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName =
    existing?.name ??
    `${TOKEN_VOLUME_PREFIX}${suffix(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? pod.metadata.generateName ?? ''}`)}`;
  const mount = (c: Container): Container =>
    (c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)
      ? c
      : {
          ...c,
          volumeMounts: [
            ...(c.volumeMounts ?? []),
            { name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH },
          ],
        };
  const containers = pod.spec.containers.map(mount);
  const initContainers = pod.spec.initContainers?.map(mount);
  const mounted = [...containers, ...(initContainers ?? [])].some((c) =>
    (c.volumeMounts ?? []).some((m) => m.name === volumeName),
  );
  const volumes =
    existing !== undefined || !mounted
      ? pod.spec.volumes
      : [...(pod.spec.volumes ?? []), tokenVolume(volumeName)];
  return {
    ...pod,
    spec: {
      ...pod.spec,
      containers,
      ...(initContainers === undefined ? {} : { initContainers }),
      ...(volumes === undefined ? {} : { volumes }),
    },
  };
}

/** TokenVolumeSource: a bound token, the cluster's CA bundle, and the pod's namespace. */
function tokenVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    },
  };
}

/** Five characters of the generator's alphabet from an FNV-1a hash of `key`. */
function suffix(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let out = '';
  for (let i = 0; i < 5; i++) {
    out += SUFFIX_ALPHABET[h % SUFFIX_ALPHABET.length];
    h = Math.floor(h / SUFFIX_ALPHABET.length);
  }
  return out;
}
