/**
 * serviceaccounts/{name}/token (pkg/registry/core/serviceaccount/storage/token.go TokenREST,
 * pkg/apis/authentication/validation ValidateTokenRequest, v1 defaults): a TokenRequest for the
 * service account, optionally bound to a pod, secret or node of its namespace, answered with a
 * signed token and its expiry. Nothing is stored.
 */
import type {
  BoundObjectReference,
  TokenRequest as UpstreamTokenRequest,
} from 'kubernetes-types/authentication/v1.d.ts';
import * as errors from '../errors.ts';
import { fieldInvalid, type FieldError } from '../field-error.ts';
import type { Pod } from '../pod-types.ts';
import type { Status } from '../status-types.ts';
import type { Stored } from '../stored.ts';
import { formatTime } from '../time.ts';
import type { KObject } from '../types.ts';
import type { ActionContext, BoundObjectClaim, BoundTokenClaims } from './definition.ts';

export type TokenRequest = Stored<UpstreamTokenRequest>;

const QUALIFIED_KIND = 'TokenRequest.authentication.k8s.io';
/** SetDefaults_TokenRequestSpec. */
const DEFAULT_EXPIRATION_SECONDS = 60 * 60;
/** MinTokenAgeSec and MaxTokenAgeSec. */
const MIN_EXPIRATION_SECONDS = 10 * 60;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/**
 * What the kubelet asks for its projected tokens (WarnOnlyBoundTokenExpirationSeconds): with
 * --service-account-extend-token-expiration such a pod-bound token lives a year
 * (ExpirationExtensionSeconds) and warns after the hour asked for.
 */
const WARN_ONLY_EXPIRATION_SECONDS = 60 * 60 + 7;
const EXTENDED_EXPIRATION_SECONDS = 24 * 365 * 60 * 60;
const US_PER_SECOND = 1_000_000;

export function validateTokenRequest(req: TokenRequest): FieldError[] {
  const seconds = req.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const errs: FieldError[] = [];
  if (seconds < MIN_EXPIRATION_SECONDS) {
    errs.push(
      fieldInvalid(
        'spec.expirationSeconds',
        seconds,
        'may not specify a duration less than 10 minutes',
      ),
    );
  }
  if (seconds > MAX_EXPIRATION_SECONDS) {
    errs.push(
      fieldInvalid(
        'spec.expirationSeconds',
        seconds,
        'may not specify a duration larger than 2^32 seconds',
      ),
    );
  }
  return errs;
}

export async function requestToken(ctx: ActionContext, body: unknown): Promise<Status | KObject> {
  const shaped = shapeOf(body);
  if (errors.isStatus(shaped)) return shaped;
  const namespace = ctx.namespace ?? '';
  const name = ctx.name;
  const meta = shaped.metadata ?? {};
  if (meta.name && meta.name !== name) {
    return errors.invalid(QUALIFIED_KIND, name, [
      fieldInvalid('metadata.name', meta.name, 'must match the service account name if specified'),
    ]);
  }
  if (meta.namespace && meta.namespace !== namespace) {
    return errors.invalid(QUALIFIED_KIND, name, [
      fieldInvalid(
        'metadata.namespace',
        meta.namespace,
        'must match the service account namespace if specified',
      ),
    ]);
  }
  const account = await ctx.get();
  if (errors.isStatus(account)) return account;
  const issuer = ctx.tokens;
  if (issuer === undefined) {
    return errors.internalError('the API server signs no service account tokens');
  }
  const nowUs = ctx.nowUs();
  const audiences = shaped.spec.audiences.length > 0 ? shaped.spec.audiences : issuer.audiences;
  const req: TokenRequest = {
    ...shaped,
    metadata: { ...meta, name, namespace, creationTimestamp: formatTime(nowUs) },
    spec: {
      ...shaped.spec,
      audiences: [...audiences],
      expirationSeconds: shaped.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS,
    },
  };
  const errs = validateTokenRequest(req);
  if (errs.length > 0) return errors.invalid(QUALIFIED_KIND, '', errs);
  const bound =
    req.spec.boundObjectRef === undefined
      ? {}
      : await boundObjects(ctx, name, namespace, req.spec.boundObjectRef);
  if (errors.isStatus(bound)) return bound;
  let seconds = req.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (issuer.maxExpirationSeconds > 0 && seconds > issuer.maxExpirationSeconds) {
    ctx.warn(
      `requested expiration of ${seconds} seconds shortened to ${issuer.maxExpirationSeconds} seconds`,
    );
    seconds = issuer.maxExpirationSeconds;
  }
  const extended =
    issuer.extendExpiration &&
    bound.pod !== undefined &&
    seconds === WARN_ONLY_EXPIRATION_SECONDS &&
    req.spec.audiences.every((a) => issuer.audiences.includes(a));
  const claims: BoundTokenClaims = {
    namespace,
    serviceAccount: { name, uid: account.metadata.uid ?? '' },
    audiences: req.spec.audiences,
    expirationSeconds: extended ? EXTENDED_EXPIRATION_SECONDS : seconds,
    ...(extended ? { warnAfterSeconds: seconds } : {}),
    ...bound,
    nowUs,
  };
  const token = issuer.issue(claims);
  return {
    ...req,
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { ...req.spec, expirationSeconds: seconds },
    status: { token, expirationTimestamp: formatTime(nowUs + seconds * US_PER_SECOND) },
  } as TokenRequest as KObject;
}

function shapeOf(body: unknown): TokenRequest | Status {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return errors.badRequest('the body of a token request must be a TokenRequest object');
  }
  const b = body as Partial<TokenRequest> & { kind?: unknown };
  if (b.kind !== undefined && b.kind !== 'TokenRequest') {
    return errors.badRequest(`expected a TokenRequest, got ${JSON.stringify(b.kind)}`);
  }
  const spec = (b.spec ?? {}) as Partial<TokenRequest['spec']>;
  if (spec.audiences !== undefined && !Array.isArray(spec.audiences)) {
    return errors.badRequest('spec.audiences must be a list of strings');
  }
  if (spec.expirationSeconds !== undefined && !Number.isInteger(spec.expirationSeconds)) {
    return errors.badRequest('spec.expirationSeconds must be an integer');
  }
  return { ...b, spec: { ...spec, audiences: spec.audiences ?? [] } } as TokenRequest;
}

type BoundClaims = Pick<BoundTokenClaims, 'pod' | 'secret' | 'node'>;

/** The object the token is bound to, checked as upstream's TokenREST does. */
async function boundObjects(
  ctx: ActionContext,
  account: string,
  namespace: string,
  ref: BoundObjectReference,
): Promise<BoundClaims | Status> {
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const version = apiVersion.includes('/')
    ? apiVersion.slice(apiVersion.indexOf('/') + 1)
    : apiVersion;
  const kind = ref.kind ?? '';
  const name = ref.name ?? '';
  let bound: BoundClaims;
  let uid: string;
  if (group === '' && kind === 'Pod') {
    const pod = await ctx.getOther('Pod', namespace, name);
    if (errors.isStatus(pod)) return pod;
    if ((pod as Pod).spec.serviceAccountName !== account) {
      return errors.badRequest(
        `cannot bind token for serviceaccount ${JSON.stringify(account)} to pod running with different serviceaccount name.`,
      );
    }
    uid = pod.metadata.uid ?? '';
    const nodeName = (pod as Pod).spec.nodeName;
    const node = nodeName ? await nodeClaim(ctx, nodeName) : undefined;
    if (errors.isStatus(node)) return node;
    bound = { pod: { name, uid }, ...(node === undefined ? {} : { node }) };
  } else if (group === '' && kind === 'Node') {
    const node = await ctx.getOther('Node', undefined, name);
    if (errors.isStatus(node)) return node;
    uid = node.metadata.uid ?? '';
    bound = { node: { name, uid } };
  } else if (group === '' && kind === 'Secret') {
    const secret = await ctx.getOther('Secret', namespace, name);
    if (errors.isStatus(secret)) return secret;
    uid = secret.metadata.uid ?? '';
    bound = { secret: { name, uid } };
  } else {
    return errors.badRequest(
      `cannot bind token to object of type ${group}/${version}, Kind=${kind}`,
    );
  }
  if (ref.uid && ref.uid !== uid) {
    return errors.conflict(
      kind,
      name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return bound;
}

/** ServiceAccountTokenPodNodeInfo: the pod's node, by name alone when it no longer exists. */
async function nodeClaim(ctx: ActionContext, nodeName: string): Promise<BoundObjectClaim | Status> {
  const node = await ctx.getOther('Node', undefined, nodeName);
  if (!errors.isStatus(node)) return { name: nodeName, uid: node.metadata.uid ?? '' };
  return node.code === 404 ? { name: nodeName, uid: '' } : errors.internalError(node.message ?? '');
}
