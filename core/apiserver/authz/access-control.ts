/**
 * Who may do what at this API server: authentication of every request, then the authorizer
 * chain (system:masters, the Node authorizer, RBAC) as kube-apiserver runs it with
 * --authorization-mode=Node,RBAC, or AlwaysAllow. RBAC's view and the Node authorizer's graph
 * are mirrors of the server's own watch caches; the bootstrap policy is written at start, and
 * authorization waits for it (upstream's rbac/bootstrap-roles post-start hook holds readiness).
 */
import type { ResourceDefinition } from '../../api/kinds/index.ts';
import { definitionFor } from '../../api/kinds/index.ts';
import type { KObject } from '../../api/types.ts';
import type { Clock } from '../../ports/clock.ts';
import { assert } from '../../util/assert.ts';
import { RequestAuthenticator, type RequestAuthResult } from '../authn/authenticator.ts';
import { clientCredentialAuthenticator } from '../authn/client-credential.ts';
import { bootstrapTokenAuthenticator, type SecretGetter } from '../authn/bootstrap-token.ts';
import {
  DEFAULT_SERVICE_ACCOUNT_ISSUER,
  serviceAccountTokenAuthenticator,
  type TokenObjectGetter,
} from '../authn/service-account-token.ts';
import { JwtVerifier } from '../authn/jwt.ts';
import type { TokenSigner } from '../authn/signer.ts';
import { AuthenticationCache } from '../authn/token-cache.ts';
import { tokenFileAuthenticator, type StaticToken } from '../authn/token-file.ts';
import type { UserInfo } from '../authn/user.ts';
import { mirrorResource } from '../cache-mirror.ts';
import type { WatchCache } from '../watch-cache.ts';
import type { Status } from '../../api/status-types.ts';
import type { AdmissionAttributes } from '../admission/attributes.ts';
import type { Attributes } from './attributes.ts';
import { checkEscalation, isEscalationChecked } from './escalation.ts';
import {
  ALLOW,
  authorizeChain,
  PRIVILEGED_GROUPS,
  rulesOfChain,
  type AuthorizationResult,
  type Authorizer,
  type RuleResolver,
  type UserRules,
} from './authorizer.ts';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES } from './bootstrap-policy.ts';
import { NodeAuthorizer } from './node-authorizer.ts';
import { NodeGraph } from './node-graph.ts';
import { RbacAuthorizer } from './rbac-authorizer.ts';
import { RBAC_RESOURCES, RbacCache } from './rbac-cache.ts';

export type AuthorizationMode = 'AlwaysAllow' | 'Node,RBAC';

export interface AccessOptions {
  /** The cluster's key: it signs client credentials and the ServiceAccount tokens minted here. */
  readonly signer?: TokenSigner;
  /** --token-auth-file, parsed (authn/token-file.ts parses the file's text). */
  readonly tokens?: readonly StaticToken[];
  /** --anonymous-auth: a request without credentials is system:anonymous instead of a 401. */
  readonly anonymous?: boolean;
  readonly authorization?: AuthorizationMode;
  /**
   * --enable-bootstrap-token-auth: tokens `<id>.<secret>` backed by kube-system Secrets
   * `bootstrap-token-<id>` authenticate as system:bootstrap:<id> (authn/bootstrap-token.ts).
   */
  readonly enableBootstrapTokenAuth?: boolean;
  /** --service-account-issuer (also the one audience, --api-audiences' default). */
  readonly serviceAccountIssuer?: string;
  /** --service-account-max-token-expiration in seconds (default 0: none). */
  readonly maxTokenExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (default true). */
  readonly extendTokenExpiration?: boolean;
}

/**
 * A server without access options trusts everyone (anonymous requests, AlwaysAllow), as a
 * bare test control plane wants; the cluster assembly always configures authentication.
 */
export const OPEN_ACCESS: AccessOptions = { anonymous: true, authorization: 'AlwaysAllow' };

export interface AccessPorts {
  readonly clock: Clock;
  spawn(task: () => Promise<unknown>): void;
  cacheFor(definition: ResourceDefinition): WatchCache;
  /** The metadata of objects tokens are bound to. */
  readonly getObject: TokenObjectGetter;
  /** kube-system Secrets by name, for bootstrap tokens. */
  readonly getSecret: SecretGetter;
  /** Creates an object as the API server itself; true once it exists (created or already there). */
  ensure(obj: KObject): Promise<boolean>;
}

export class AccessControl {
  private readonly authenticator: RequestAuthenticator;
  private readonly authorizers: readonly (Authorizer & RuleResolver)[];
  readonly issuer: string;
  readonly rbac: RbacAuthorizer | undefined;
  private readonly authenticated: AuthenticationCache;
  private ready: Promise<void> = Promise.resolve();
  /** The policy is in place: authorization answers without waiting. */
  private isReady = true;

  constructor(
    readonly options: AccessOptions,
    private readonly ports: AccessPorts,
  ) {
    this.issuer = options.serviceAccountIssuer ?? DEFAULT_SERVICE_ACCOUNT_ISSUER;
    const signer = options.signer === undefined ? undefined : new JwtVerifier(options.signer);
    const nowUs = (): number => ports.clock.now();
    this.authenticated = new AuthenticationCache(nowUs);
    this.authenticator = new RequestAuthenticator(
      [
        ...(options.tokens === undefined ? [] : [tokenFileAuthenticator(options.tokens)]),
        ...(options.enableBootstrapTokenAuth === true
          ? [bootstrapTokenAuthenticator({ getSecret: ports.getSecret, nowUs })]
          : []),
        ...(signer === undefined
          ? []
          : [
              clientCredentialAuthenticator(signer, nowUs),
              serviceAccountTokenAuthenticator({
                signer,
                issuer: this.issuer,
                audiences: [this.issuer],
                nowUs,
                getObject: ports.getObject,
              }),
            ]),
      ],
      options.anonymous ?? false,
    );
    if ((options.authorization ?? 'AlwaysAllow') === 'AlwaysAllow') {
      this.authorizers = [ALWAYS_ALLOW];
      this.rbac = undefined;
      return;
    }
    const cache = new RbacCache();
    const graph = new NodeGraph();
    this.rbac = new RbacAuthorizer(cache);
    this.authorizers = [PRIVILEGED_GROUPS, new NodeAuthorizer(graph), this.rbac];
    for (const resource of RBAC_RESOURCES) this.mirror(resource, cache.handlers(resource));
    this.mirror('pods', graph.handlers);
    this.isReady = false;
    this.ready = this.bootstrap(cache).then(() => {
      this.isReady = true;
    });
  }

  /** Who sent `authorization` (the header); a cached answer comes back without waiting. */
  authenticate(authorization: string | undefined): RequestAuthResult | Promise<RequestAuthResult> {
    return this.authenticated.get(authorization ?? '', () =>
      this.authenticator.authenticate(authorization),
    );
  }

  /**
   * The chain's decision, at once when the policy is in place; until then only privileged
   * users are answered without waiting for it.
   */
  authorize(a: Attributes): AuthorizationResult | Promise<AuthorizationResult> {
    if (this.isReady) return authorizeChain(this.authorizers, a);
    const first = authorizeChain(this.authorizers.slice(0, 1), a);
    if (first.decision !== 'no-opinion') return first;
    return this.ready.then(() => authorizeChain(this.authorizers, a));
  }

  /** RBAC's escalation check of a role or binding write (the registry's WriteGuard). */
  checkWrite(a: AdmissionAttributes): Status | undefined | Promise<Status | undefined> {
    const rbac = this.rbac;
    if (rbac === undefined || !isEscalationChecked(a)) return undefined;
    return this.ready.then(() =>
      checkEscalation({ rbac, authorize: (attrs) => this.authorize(attrs) }, a),
    );
  }

  async rulesFor(user: UserInfo, namespace: string): Promise<UserRules> {
    await this.ready;
    return rulesOfChain(this.authorizers, user, namespace);
  }

  private mirror(resource: string, handlers: Parameters<typeof mirrorResource>[2]): void {
    const definition = resourceDefinition(resource);
    mirrorResource(
      (d) => this.ports.cacheFor(d),
      definition,
      handlers,
      this.ports.clock,
      (t) => this.ports.spawn(t),
    );
  }

  /**
   * Writes the bootstrap policy, then waits until the mirrors hold all of it. The objects are
   * written concurrently: one after another, every store request lost on the way costs its full
   * timeout in turn, and under 2% loss the policy took 42 s to write (scenarios/node-crash.yaml,
   * seed 4), holding every component's requests that long.
   */
  private async bootstrap(cache: RbacCache): Promise<void> {
    const ensure = async (obj: KObject): Promise<void> => {
      while (!(await this.ports.ensure(obj))) await this.ports.clock.sleep(1_000_000);
    };
    await new Promise<void>((resolve) => {
      this.ports.spawn(async () => {
        await Promise.all([...CLUSTER_ROLES, ...CLUSTER_ROLE_BINDINGS].map(ensure));
        resolve();
      });
    });
    await cache.waitFor(
      () =>
        cache.isSynced &&
        CLUSTER_ROLES.every((r) => cache.clusterRole(r.metadata.name ?? '') !== undefined) &&
        CLUSTER_ROLE_BINDINGS.every((b) => cache.hasClusterRoleBinding(b.metadata.name ?? '')),
    );
  }
}

const ALWAYS_ALLOW: Authorizer & RuleResolver = {
  name: 'always-allow',
  authorize: () => ALLOW,
  rulesFor: () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
    errors: [],
  }),
};

function resourceDefinition(resource: string): ResourceDefinition {
  const kinds: Record<string, string> = {
    clusterroles: 'ClusterRole',
    clusterrolebindings: 'ClusterRoleBinding',
    roles: 'Role',
    rolebindings: 'RoleBinding',
    pods: 'Pod',
  };
  const d = definitionFor(kinds[resource] ?? '');
  assert(d !== undefined, `no definition serves ${resource}`);
  return d;
}
